"""The spatial engine: datums (datum), the exact grid-indexed point-in-polygon join (join),
point frames and files placed (points), datasets placed in chunks (pointsets, the local engine) or
on dask.distributed (distributed), the engine chosen in one place (engines), and the facility
registry's own join (sites). Imports data/, ingest/ and the root modules."""
