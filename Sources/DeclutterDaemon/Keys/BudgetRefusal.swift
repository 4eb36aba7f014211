import DeclutterStore
import Foundation
import Hummingbird

extension APIError {
    /// 429 `budget_exhausted`: the key's photo budget has no room; nothing was recorded or sent to the service.
    /// `Retry-After` and `resets_at` say when the budget starts again.
    static func budgetExhausted(key: String, budget: KeyBudget, used: Int, resetsAt: Date, now: Date) -> APIError {
        let wait = max(1, Int(resetsAt.timeIntervalSince(now).rounded(.up)))
        return APIError(.tooManyRequests, code: .budgetExhausted,
                        message: "key \(key) has spent \(used) of its \(budget) photo budget: nothing was sent to the service; "
                            + "the budget starts again at \(StoreFormat.timestamp(resetsAt))",
                        headers: [.retryAfter: String(wait)], figures: ["limit": budget.limit, "used": used],
                        facts: ["key": key, "resets_at": StoreFormat.timestamp(resetsAt)])
    }
}
