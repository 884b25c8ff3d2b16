"""Statistics monitoring (统计监测): the fact table of list lines, the metric catalog, targets,
tiers and direct reporting. Domain code: no web framework, no SQLAlchemy (see storage/)."""
