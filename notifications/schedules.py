"""The webhook sweeper: every minute, queue the deliveries whose retry is due."""

SWEEPER = ("notifications: queue due webhook deliveries", "notifications.tasks.deliver_due")
