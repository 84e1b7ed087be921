"""What is computed from the data: the Bundle a view reads and the Layer a user's file becomes
(bundle, layers), time (timeline: interpolation, target paths, the national benchmark,
projections), targets and their rules (targets), views (views), trajectories and the drill-down
below the provinces (drilldown). Imports spatial/, ingest/, data/ and the root modules."""
