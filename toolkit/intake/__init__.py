"""Intake: reading returned workbooks (untrusted files), identifying them, checking and validating their cells,
collecting them into the store, and the feedback workbook each unit gets back."""
