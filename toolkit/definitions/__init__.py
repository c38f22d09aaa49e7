"""The definitions a round is made of: the forms, the shared lists (with each status's meaning), the
scoring rules and the judging of a task's state. Loaded from YAML and checked once."""
