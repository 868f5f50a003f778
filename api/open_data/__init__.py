"""Open data out and in: the HSDS 3.0 tabular data package (CSV tables plus datapackage.json)
and a JSON Lines dump, written by `helpdir export` and `GET /v1/export/hsds.zip`, and read
back by `helpdir import`. docs/open-data.md describes the package."""
