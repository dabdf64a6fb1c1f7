"""What a run writes and reads back: documents as models, evidence, the transition log, reports, verify, merge."""
