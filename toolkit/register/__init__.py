"""The task register across rounds: the tasks registered, the requests to change them, and the round's frame
of tasks with their judged state."""
