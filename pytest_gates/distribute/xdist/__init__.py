"""xdist integration: the scheduler given a plan, and the gate progress shared with workers."""
