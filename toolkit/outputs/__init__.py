"""What a round produces: templates sent to units, the submission status, the consolidated workbook, the
scores, the Word reports (and their PDF)."""
