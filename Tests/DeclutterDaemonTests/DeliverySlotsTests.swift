@testable import DeclutterDaemon
import Testing

/// The rule that shares delivery slots between endpoints, as a value: counts in, a count out.
@Suite("Delivery slots: failing endpoints never take the healthy ones' share")
struct DeliverySlotsTests {
    let slots = DeliverySlots(maxInFlight: 16, maxPerEndpoint: 4)

    @Test("one endpoint alone gets notify.max_per_endpoint, and no more than the daemon has left")
    func alone() {
        #expect(slots.room(own: 0, failing: false, inFlight: 0, failingInFlight: 0, enabledEndpoints: 1) == 4)
        #expect(slots.room(own: 3, failing: false, inFlight: 3, failingInFlight: 0, enabledEndpoints: 1) == 1)
        #expect(slots.room(own: 0, failing: false, inFlight: 15, failingInFlight: 0, enabledEndpoints: 2) == 1)
        #expect(slots.room(own: 0, failing: false, inFlight: 16, failingInFlight: 0, enabledEndpoints: 2) == 0)
    }

    @Test("many endpoints share the daemon's slots fairly, one each at least")
    func fairShare() {
        #expect(slots.perEndpoint(enabledEndpoints: 4) == 4)
        #expect(slots.perEndpoint(enabledEndpoints: 5) == 3)
        #expect(slots.perEndpoint(enabledEndpoints: 11) == 1)
        #expect(slots.perEndpoint(enabledEndpoints: 100) == 1)
        #expect(slots.room(own: 1, failing: false, inFlight: 10, failingInFlight: 0, enabledEndpoints: 11) == 0)
    }

    @Test("failing endpoints together hold half the slots at most; healthy ones keep the rest")
    func failingShare() {
        #expect(slots.failingShare == 8)
        #expect(slots.room(own: 0, failing: true, inFlight: 8, failingInFlight: 8, enabledEndpoints: 3) == 0)
        #expect(slots.room(own: 0, failing: false, inFlight: 8, failingInFlight: 8, enabledEndpoints: 3) == 4)
        #expect(slots.room(own: 2, failing: true, inFlight: 6, failingInFlight: 6, enabledEndpoints: 3) == 2)
        #expect(DeliverySlots(maxInFlight: 1, maxPerEndpoint: 1).failingShare == 1)
    }
}
