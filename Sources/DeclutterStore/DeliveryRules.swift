import Foundation

// The decisions of the delivery and endpoint write paths, as values: what an attempt does to its delivery and to
// its endpoint, what an edit, an enable or a rotation changes, what a replay resets. Each backend reads and writes
// the rows its own way around them (AppDatabase+Endpoints and +Deliveries on SQLite, PostgresStore+Endpoints and
// +Deliveries on PostgreSQL); the rules live here once, as `WriteRules.swift` holds those of the generations.

extension DeliveryRecord {
    /// Takes one attempt's result: counted, with its answer; and unless the delivery was replayed while the attempt
    /// was in flight (another round now: the new round stands as queued), the verdict moves it along its schedule.
    /// Returns the attempt's row.
    mutating func take(_ report: AttemptReport) -> DeliveryAttemptRecord {
        let replayed = round != report.round
        attempts += 1
        lastAttemptAt = report.attemptedAt
        lastHTTPStatus = report.httpStatus
        lastError = report.error
        updatedAt = report.attemptedAt
        if !replayed {
            roundAttempts += 1
            switch report.verdict {
            case .delivered: (status, nextAttemptAt) = (.delivered, nil)
            case .retry(let date): (status, nextAttemptAt) = (.pending, date)
            case .failed, .gone: (status, nextAttemptAt) = (.failed, nil)
            }
        }
        return DeliveryAttemptRecord(
            delivery: report.deliveryID, message: message, endpoint: endpoint, attempt: attempts,
            attemptedAt: report.attemptedAt, httpStatus: report.httpStatus, latencyMilliseconds: report.latencyMilliseconds,
            response: report.response, error: report.error)
    }

    /// What a replay (`redeliver`, `recover`) sets, as SQL assignments, `now` being the statement's placeholder for
    /// the date (each backend binds it its own way): pending again, due at once, a new round from the start of the
    /// retry schedule. The attempts made so far stay counted.
    static func requeueAssignments(now: String) -> String {
        "status = 'pending', round = round + 1, round_attempts = 0, next_attempt_at = \(now), updated_at = \(now)"
    }
}

extension EndpointRecord {
    /// Notes an attempt's result: a success clears the failure record; a 410, or a failure after failing since
    /// before the disable date, disables the endpoint. Returns what that did, or nil when the endpoint is left as
    /// it was (a success while healthy): its row is then not written.
    mutating func take(_ report: AttemptReport) -> EndpointChange? {
        var change = EndpointChange.none
        if report.verdict == .delivered {
            guard failingSince != nil else { return nil }
            failingSince = nil
        } else {
            let since = failingSince ?? report.attemptedAt
            failingSince = since
            let reason: String? = if report.verdict == .gone {
                "the endpoint answered 410 Gone"
            } else if let cutoff = report.disableIfFailingSince, since <= cutoff {
                "failing since \(StoreFormat.timestamp(since))"
            } else {
                nil
            }
            if let reason, enabled {
                enabled = false
                disabledReason = reason
                change = .endpointDisabled(reason: reason)
            }
        }
        updatedAt = report.attemptedAt
        return change
    }

    /// Applies an edit: a part it leaves nil stays as it is.
    mutating func apply(_ edit: EndpointEdit) {
        if let url = edit.url { self.url = url }
        if let description = edit.description { self.description = description }
        if let types = edit.types { self.types = types }
    }

    /// Enables (clearing the failure record) or disables, with the reason.
    mutating func setEnabled(_ enabled: Bool, reason: String?) {
        self.enabled = enabled
        disabledReason = enabled ? nil : reason
        if enabled { failingSince = nil }
    }

    /// Signs with `secret` from now on; the current secret keeps signing until `overlapUntil`.
    mutating func rotateSecret(to secret: String, overlapUntil: Date) {
        previousSecret = self.secret
        previousSecretExpiresAt = overlapUntil
        self.secret = secret
    }
}
