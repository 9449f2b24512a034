"""/v1/reserve: the national crypto reserve's holdings, proposals, approvals, executions,
history and publications."""
