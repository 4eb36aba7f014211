import DeclutterWire

extension LocalAPIClient {
    /// `POST /v1/dashboard-links`: a one-time login link's path (with an admin key, or over the unix socket).
    public func dashboardLink() async throws(LocalClientError) -> LocalReply<DashboardLinkView> {
        try await call(.POST, "/v1/dashboard-links", body: nil)
    }
}
