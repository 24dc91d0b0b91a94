"""sp-connector's rules without I/O: the AMR and package formats (manifests, encryption, the import
package) and how a site's progress is counted."""
