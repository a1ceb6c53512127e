from django.dispatch import Signal

# Sent (with `workspace_id`) after a change that can move where accounts stand: a map
# published or archived, a published map's stages or exit milestones edited, a milestone's
# rule or value changed, a persona's matching rules changed. The accounts app listens and
# reprocesses the workspace.
journey_design_changed = Signal()
