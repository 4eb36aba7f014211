/// Who may start a delivery attempt now, so that endpoints that hang or fail never starve the healthy ones
/// (docs/delivery.md, "Slots"). Three bounds, all of which hold at once:
/// - the whole daemon: `notify.max_in_flight` attempts;
/// - one endpoint: `notify.max_per_endpoint`, lowered to its fair share of the daemon's slots when many endpoints
///   are enabled (at least one each), so a crowd of new endpoints that all hang cannot take every slot at once;
/// - endpoints failing now (`failing_since` set: their last attempt did not deliver) share at most half of the
///   daemon's slots between them, so the other half is always there for the endpoints that answer.
/// Pure: counts in, a count out.
struct DeliverySlots: Sendable, Equatable {
    let maxInFlight: Int
    let maxPerEndpoint: Int

    /// The slots the failing endpoints may hold together.
    var failingShare: Int { max(1, maxInFlight / 2) }

    /// The most one endpoint may hold while `enabledEndpoints` endpoints share the daemon's slots.
    func perEndpoint(enabledEndpoints: Int) -> Int {
        min(maxPerEndpoint, max(1, maxInFlight / max(1, enabledEndpoints)))
    }

    /// How many more attempts the endpoint may start now.
    /// - Parameters:
    ///   - own: its attempts in flight;
    ///   - failing: whether it is failing now;
    ///   - inFlight: attempts in flight, whole daemon;
    ///   - failingInFlight: attempts in flight to failing endpoints;
    ///   - enabledEndpoints: endpoints enabled now (those that could have a delivery due).
    func room(own: Int, failing: Bool, inFlight: Int, failingInFlight: Int, enabledEndpoints: Int) -> Int {
        var room = min(perEndpoint(enabledEndpoints: enabledEndpoints) - own, maxInFlight - inFlight)
        if failing { room = min(room, failingShare - failingInFlight) }
        return max(0, room)
    }
}
