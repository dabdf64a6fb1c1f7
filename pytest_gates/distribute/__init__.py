"""Distribution: recorded durations, the pure partition, shard plans, and xdist scheduling."""
