"""What a view becomes: classes and palettes (classify), the folium map and its HTML (render,
assets: Leaflet served locally), pictures (picture: PNG and SVG) and downloads (export: GeoJSON,
CSV, GeoParquet). Imports analysis/ and every room below it."""
