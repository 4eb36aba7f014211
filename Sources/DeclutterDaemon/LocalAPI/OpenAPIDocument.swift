/// The local API's OpenAPI 3.1 document, served at `GET /openapi.yaml`: the file `Resources/openapi.yaml`,
/// compiled into the binary so the single installed executable serves it.
///
/// It lists exactly the routes the local router serves (OpenAPITests compares the two), and its schemas follow
/// `APIViews.swift` field by field.
enum OpenAPIDocument {
    static let yaml = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
}
