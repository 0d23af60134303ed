"""Review: approve and reject photos inline, appeals, and the earnings approvals create."""
