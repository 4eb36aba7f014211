/// The local API's OpenAPI 3.1 document, served at `GET /openapi.yaml`.
enum OpenAPIDocument {
    static let yaml = """
    openapi: 3.1.0
    info:
      title: declutterd local API
      version: 1.0.0
    paths: {}
    """
}
