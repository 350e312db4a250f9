"""Python rules, one module per rule: CODE, NAME, SEVERITY, OPTIONS, FIXABLE, `check(doc, ctx)`, and
the module docstring as the rule's docs (first line: summary; then why it costs, bad and good example)."""
