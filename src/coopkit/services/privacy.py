"""The record of processing activities as a Word document a data protection officer files."""
