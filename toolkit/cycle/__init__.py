"""The year and the term as one cycle over the task register: confirmation of registrations (confirm.py),
adjustments approved by the office (adjust.py), the register's history across rounds (history.py) and the
term view of breakthrough tasks (term.py). What a unit asks for in its returns is read by requests.py.
"""
