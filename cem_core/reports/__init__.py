"""The executive report (issue 16): figures from the overview's, analysis's and text's own functions,
rendered to an A4 PDF with an embedded CJK font (``pdf``) or an xlsx with one sheet per section (``xlsx``)."""
