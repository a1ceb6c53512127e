"""The attribution engine: a report's parameters and cut-off in, the result JSON out
(the format is in analytics/attribution/report.py; the method in docs/attribution.md).

The database does the heavy lifting (analytics/attribution/journeys.py): one query for
the totals, one for every rule-based model's credit summed per (touchpoint, campaign,
persona), and, for the data-driven models, one per kind of journey returning distinct
paths with their counts. Python only rolls those rows up per dimension, solves the
Markov chain and sums Shapley values over distinct state sets.
"""

from analytics import stage_at_time
from analytics.attribution import journeys, markov, shapley
from analytics.attribution.dimensions import (
    NO_TOUCH,
    load_catalog,
    load_spend,
    rule_model_rows,
    state_rows,
)
from analytics.attribution.rule_models import ANCHOR_MODELS, RULE_MODELS
from analytics.attribution.scope import Scope, scope_from
from analytics.registry import RunContext

DATA_DRIVEN = ("markov", "shapley")


def compute_attribution(context: RunContext) -> dict:
    parameters = context.parameters
    scope = scope_from(context.workspace, parameters, context.cutoff)
    return attribute(
        scope,
        models=tuple(parameters["models"]),
        dimensions=tuple(parameters["dimensions"]),
        progress=context.progress,
    )


def attribute(scope: Scope, models, dimensions, progress=lambda percent: None) -> dict:
    notes = list(scope.notes)
    rule_models = tuple(model for model in models if model in RULE_MODELS)
    data_driven = [model for model in models if model in DATA_DRIVEN]

    totals = journeys.totals(scope)
    progress(10)
    # Always run: besides the rule-based credits it gives the touches per row.
    versions = None
    if "stage" in dimensions:
        versions = stage_at_time.timelines(scope.workspace_id, pin=scope.stage_version)
    base = journeys.rule_rows(scope, rule_models, versions)
    progress(45 if data_driven else 80)
    catalog = load_catalog(scope, base, versions or {})
    spend = load_spend(scope)

    results: dict[str, dict] = {}
    for model in rule_models:
        rows = rule_model_rows(model, dimensions, base, catalog, spend, totals)
        results[model] = {"model": model, "rows": rows}

    non_converting_count = None
    if "markov" in data_driven:
        steps = journeys.markov_steps(scope, scope.markov_order)
        progress(65)
        non_converting_count = sum(step.ends for step in steps if not step.converted)
        results["markov"] = _markov(scope, steps, base, catalog, spend, totals, notes)
        progress(80)
    if "shapley" in data_driven:
        sets = shapley.state_sets(journeys.paths(scope, converting=True))
        credits = shapley.shapley(sets)
        rows = state_rows(scope.markov_state, credits, base, catalog, spend, totals)
        results["shapley"] = {"model": "shapley", "rows": rows}
        progress(95)
    if non_converting_count is None:
        non_converting_count = journeys.non_converting_journeys(scope)

    if totals.untouched_conversions:
        notes.append(
            f"{totals.untouched_conversions} conversion(s) had no touch in their journey: "
            f"every model credits them to the {NO_TOUCH!r} row."
        )
    if any(model in ANCHOR_MODELS for model in models):
        for milestone_id, what in (
            (scope.lead_milestone_id, "lead"),
            (scope.opportunity_milestone_id, "opportunity"),
        ):
            if milestone_id is None:
                notes.append(
                    f"No {what} milestone given: W-shaped and full path treat the {what} "
                    "anchor as missing in every journey (its share goes to the other anchors)."
                )
    return {
        "totals": {
            "conversions": totals.conversions,
            "value": totals.value,
            "converting_journeys": totals.converting_journeys,
            "non_converting_journeys": non_converting_count,
            "touches": totals.touches,
        },
        "models": [results[model] for model in models if model in results],
        "notes": notes,
    }


def _markov(scope, steps, base, catalog, spend, totals, notes) -> dict:
    counts = markov.transitions_from_steps(steps, scope.markov_order)
    effects = markov.removal_effects(counts, scope.markov_order)
    credits = markov.credits(
        effects.effects,
        float(totals.converting_journeys),
        totals.value - totals.untouched_value,
    )
    rows = state_rows(scope.markov_state, credits, base, catalog, spend, totals)
    if totals.converting_journeys and not any(not step.converted for step in steps):
        notes.append(
            "No non-converting journey in scope: every Markov path converts, so removal "
            "effects only reflect which states the converting paths need."
        )
    return {
        "model": "markov",
        "rows": rows,
        "removal_effects": [
            {"state": state, "removal_effect": effect}
            for state, effect in sorted(effects.effects.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }
