/// The local API's OpenAPI 3.1 document (SPEC §5), served at `GET /openapi.yaml`.
///
/// It must list exactly `LocalAPIController.routes` (OpenAPITests checks), and its schemas follow `APIViews.swift`
/// field by field. Optional fields are omitted from responses when they have no value; the schemas also allow
/// `null` for them.
enum OpenAPIDocument {
    static let yaml = #"""
    openapi: 3.1.0
    info:
      title: declutterd local API
      version: 1.0.0
      summary: Launch, track and inspect Decluttering API generations through declutterd.
      description: |
        declutterd is a long-running daemon between an application and the Decluttering API, a cloud
        service that removes clutter and furniture from interior photos. It launches generations and
        variations, receives the service's completion callbacks on a separate public listener, falls
        back to polling for callbacks that do not come, and keeps every generation, project, quota
        reading and inbound or outbound event in one SQLite database.

        This document describes the **local API**, the status endpoint used by the application, its
        operators and the `declutterd` command line. It listens on loopback (default
        `127.0.0.1:8788`) and/or a unix socket (`local.socket`, `/run/declutterd/api.sock` under
        systemd) only, never on a public address unless configured explicitly; it has no
        authentication of its own. The public callback listener (`POST /callbacks/{token}`) is not
        part of this API.

        Conventions:
        - bodies are JSON objects of at most 64 KiB, keys in snake_case;
        - times are ISO-8601 UTC with milliseconds, such as `2026-11-24T23:10:08.123Z`;
        - UUIDs are written lowercase;
        - an optional field without a value is left out of a response;
        - errors are `{"error": {"code", "message"}}` with a stable `code`; a request to a path or
          method not listed here answers 404 `not_found`;
        - a failure nobody planned for (such as the database becoming unavailable mid-request)
          answers 500 `internal_error`; the daemon's log has the details.
    servers:
      - url: http://127.0.0.1:8788
        description: the default loopback listener (`local.listen`)
    tags:
      - name: health
        description: liveness, readiness, metrics and this document
      - name: generations
        description: launching, adopting and inspecting generations
      - name: projects
        description: projects opened by generations
      - name: stats
        description: totals at a glance
    paths:
      /healthz:
        get:
          tags: [health]
          operationId: getHealthz
          summary: Liveness
          description: Answers 200 while the process runs.
          responses:
            '200':
              description: the process is running
              content:
                text/plain:
                  schema:
                    type: string
                    const: "ok\n"
            '500':
              $ref: '#/components/responses/InternalError'
      /readyz:
        get:
          tags: [health]
          operationId: getReadyz
          summary: Readiness
          description: |
            Ready when the store is writable, both listeners are bound and the service has not refused
            the credentials (401/403) since the last successful call.
          responses:
            '200':
              description: ready
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Readiness'
                  example:
                    status: ready
                    reasons: []
            '503':
              description: not ready, with the reasons
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Readiness'
                  example:
                    status: not_ready
                    reasons: ["upstream refuses the credentials: 401 Unauthorized"]
            '500':
              $ref: '#/components/responses/InternalError'
      /openapi.yaml:
        get:
          tags: [health]
          operationId: getOpenAPIDocument
          summary: This document
          responses:
            '200':
              description: the OpenAPI 3.1 document of the local API
              content:
                application/yaml:
                  schema:
                    type: string
            '500':
              $ref: '#/components/responses/InternalError'
      /metrics:
        get:
          tags: [health]
          operationId: getMetrics
          summary: Prometheus metrics
          description: The daemon's metrics in the Prometheus text exposition format (version 0.0.4).
          responses:
            '200':
              description: the Prometheus text format (`text/plain; version=0.0.4`)
              content:
                text/plain:
                  schema:
                    type: string
            '500':
              $ref: '#/components/responses/InternalError'
      /v1/generations:
        post:
          tags: [generations]
          operationId: submitGeneration
          summary: Launch a generation
          description: |
            Records the generation (`SUBMITTING`, with its callback token) and then calls the
            service's generate endpoint with the generation's own callback URL. Each generation opens
            a new project. The answer is 202 with the record as it stands after that call:
            - `STARTING` with `generation_id`, `project_id` and `remaining_photos` when the service accepted it;
            - `REJECTED` with `status_reason` when the service refused it or could not be reached (no photo spent);
            - still `SUBMITTING` with `status_reason` when the outcome is unknown (for instance a timeout
              after the request was sent); a callback to its token can still resolve it.

            With an `Idempotency-Key`, a retried request returns the first result (and the
            `Idempotent-Replayed: true` header) and never spends a second photo.
          parameters:
            - $ref: '#/components/parameters/IdempotencyKey'
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/GenerationRequest'
                examples:
                  auto:
                    value:
                      image_url: https://images.example/room.jpg
                      auto: true
                  mask:
                    value:
                      image_url: https://images.example/room.jpg
                      mask_url: https://images.example/room-mask.png
          responses:
            '202':
              $ref: '#/components/responses/Launched'
            '400':
              $ref: '#/components/responses/BadRequest'
            '413':
              $ref: '#/components/responses/ContentTooLarge'
            '422':
              $ref: '#/components/responses/IdempotencyKeyReused'
            '503':
              $ref: '#/components/responses/NoPublicBaseURL'
            '500':
              $ref: '#/components/responses/InternalError'
        get:
          tags: [generations]
          operationId: listGenerations
          summary: List generations
          description: |
            Newest first (by local id). When a page is full, `next_cursor` is set: pass it as
            `cursor` to get the next (older) page; the last page may be empty.
          parameters:
            - name: status
              in: query
              description: only generations in this state (case-insensitive)
              schema:
                $ref: '#/components/schemas/GenerationStatus'
            - name: project_id
              in: query
              description: only the generations of this project
              schema:
                type: string
                format: uuid
            - name: since
              in: query
              description: only generations created at or after this time (ISO-8601, such as `2026-11-24T10:00:00Z`)
              schema:
                type: string
                format: date-time
            - name: limit
              in: query
              description: page size
              schema:
                type: integer
                minimum: 1
                maximum: 500
                default: 50
            - name: cursor
              in: query
              description: the `next_cursor` of the previous page
              schema:
                type: string
                pattern: '^[0-9]+$'
          responses:
            '200':
              description: a page of generations
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/GenerationList'
            '400':
              description: |
                a query parameter is invalid: `invalid_status`, `invalid_project_id`,
                `invalid_since`, `invalid_limit` or `invalid_cursor`
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                  example:
                    error:
                      code: invalid_limit
                      message: '`limit` must be between 1 and 500'
            '500':
              $ref: '#/components/responses/InternalError'
      /v1/generations/{id}:
        parameters:
          - $ref: '#/components/parameters/GenerationID'
        get:
          tags: [generations]
          operationId: getGeneration
          summary: One generation
          description: |
            The record. With `wait`, the answer is held until the generation leaves the pending
            states (`SUBMITTING`, `STARTING`, `PROCESSING`) or `wait` seconds pass, whichever comes
            first; the record is returned either way.
          parameters:
            - name: wait
              in: query
              description: seconds to hold the answer while the generation is pending (at most 60)
              schema:
                type: number
                minimum: 0
                maximum: 60
          responses:
            '200':
              description: the generation
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Generation'
            '400':
              description: '`invalid_id` or `invalid_wait`'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            '404':
              $ref: '#/components/responses/GenerationNotFound'
            '500':
              $ref: '#/components/responses/InternalError'
      /v1/generations/{id}/events:
        parameters:
          - $ref: '#/components/parameters/GenerationID'
        get:
          tags: [generations]
          operationId: listGenerationEvents
          summary: A generation's audit trail
          description: |
            Every submission answer, callback and poll answer about the generation, valid or not,
            oldest first, with its raw body and what it changed.
          responses:
            '200':
              description: the events
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/EventList'
            '400':
              $ref: '#/components/responses/InvalidID'
            '404':
              $ref: '#/components/responses/GenerationNotFound'
            '500':
              $ref: '#/components/responses/InternalError'
      /v1/generations/{id}/variations:
        parameters:
          - $ref: '#/components/parameters/GenerationID'
        post:
          tags: [generations]
          operationId: submitVariation
          summary: Launch a variation of a generation
          description: |
            Calls the service's generate-variation endpoint for the parent `{id}`; the variation
            belongs to the parent's project. The body may be empty: `original_url` defaults to the
            parent's `image_url`, and without `mask_url` the service reuses the previous mask. The
            answer is 202 with the record, as for `POST /v1/generations` (`Idempotency-Key` included).
          parameters:
            - $ref: '#/components/parameters/IdempotencyKey'
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/VariationRequest'
                example:
                  mask_url: https://images.example/room-mask-2.png
          responses:
            '202':
              $ref: '#/components/responses/Launched'
            '400':
              $ref: '#/components/responses/BadRequest'
            '404':
              $ref: '#/components/responses/GenerationNotFound'
            '409':
              description: '`parent_not_submitted`: the parent has no upstream `generation_id` yet'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                  example:
                    error:
                      code: parent_not_submitted
                      message: the parent generation has no upstream generation_id yet
            '413':
              $ref: '#/components/responses/ContentTooLarge'
            '422':
              $ref: '#/components/responses/IdempotencyKeyReused'
            '503':
              $ref: '#/components/responses/NoPublicBaseURL'
            '500':
              $ref: '#/components/responses/InternalError'
      /v1/generations/{id}/refresh:
        parameters:
          - $ref: '#/components/parameters/GenerationID'
        post:
          tags: [generations]
          operationId: refreshGeneration
          summary: Poll the service now
          description: |
            One retrieval call for the generation, recorded as a `poll` event and applied like any
            poll answer (a failed call is recorded too); the answer is the record afterwards. No body.
          responses:
            '200':
              description: the generation after the poll
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Generation'
            '400':
              $ref: '#/components/responses/InvalidID'
            '404':
              $ref: '#/components/responses/GenerationNotFound'
            '409':
              description: '`not_pollable`: the generation has no upstream `generation_id` to poll'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                  example:
                    error:
                      code: not_pollable
                      message: the generation has no upstream generation_id to poll
            '500':
              $ref: '#/components/responses/InternalError'
      /v1/track:
        post:
          tags: [generations]
          operationId: trackGeneration
          summary: Adopt a generation created elsewhere
          description: |
            Starts tracking an upstream generation this daemon did not launch (kind `tracked`,
            status `STARTING`); it is polled like any other, since the service has no callback URL
            for it. Tracking a generation already known answers 200 with its record.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/TrackRequest'
                example:
                  generation_id: 9b2f4c1e-3d5a-4e6f-8a7b-1c2d3e4f5a6b
          responses:
            '202':
              description: adopted; the first poll is scheduled
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Generation'
            '200':
              description: already known; the existing record
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Generation'
            '400':
              description: '`invalid_json` or `invalid_generation_id`'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            '413':
              $ref: '#/components/responses/ContentTooLarge'
            '500':
              $ref: '#/components/responses/InternalError'
      /v1/projects/{id}:
        parameters:
          - name: id
            in: path
            required: true
            description: the project UUID
            schema:
              type: string
              format: uuid
        get:
          tags: [projects]
          operationId: getProject
          summary: A project and its generations
          responses:
            '200':
              description: the project, its generations (oldest first) and its variations count
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Project'
            '400':
              description: '`invalid_id`: not a UUID'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            '404':
              description: '`not_found`: no such project'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            '500':
              $ref: '#/components/responses/InternalError'
      /v1/stats:
        get:
          tags: [stats]
          operationId: getStats
          summary: Totals at a glance
          responses:
            '200':
              description: counts per state, quota, resolution, oldest pending age, polls in flight
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Stats'
            '500':
              $ref: '#/components/responses/InternalError'
    components:
      parameters:
        GenerationID:
          name: id
          in: path
          required: true
          description: the generation's local id (a positive integer) or its upstream `generation_id` (a UUID)
          schema:
            anyOf:
              - type: integer
                format: int64
                minimum: 1
              - type: string
                format: uuid
        IdempotencyKey:
          name: Idempotency-Key
          in: header
          required: false
          description: |
            Makes the request safe to retry: a later request with the same key returns the first
            result and never spends a second photo; the same key with a different request is refused
            (422). 1 to 200 visible ASCII characters.
          schema:
            type: string
            minLength: 1
            maxLength: 200
            pattern: '^[!-~]+$'
      headers:
        IdempotentReplayed:
          description: present, `true`, when the answer replays the first request made with this `Idempotency-Key`
          schema:
            type: string
            enum: ['true']
      responses:
        Launched:
          description: |
            the generation as recorded after the upstream call (`STARTING`, `REJECTED`, or
            `SUBMITTING` when the outcome is unknown), or the first result of an `Idempotency-Key`
          headers:
            Idempotent-Replayed:
              $ref: '#/components/headers/IdempotentReplayed'
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Generation'
        BadRequest:
          description: |
            the request is invalid: `invalid_json` (the body is not a JSON object), `invalid_id`,
            `invalid_image_url`, `invalid_auto`, `invalid_mask_url`, `invalid_original_url`,
            `invalid_mask` (neither `auto: true` nor `mask_url`) or `invalid_idempotency_key`
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
              example:
                error:
                  code: invalid_image_url
                  message: '`image_url` must be an absolute http(s) URL'
        InvalidID:
          description: '`invalid_id`: neither a positive local id nor a UUID'
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
              example:
                error:
                  code: invalid_id
                  message: '`id` must be a local id or a generation UUID'
        GenerationNotFound:
          description: '`not_found`: no such generation'
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
              example:
                error:
                  code: not_found
                  message: no such generation
        ContentTooLarge:
          description: '`body_too_large`: the body is over 64 KiB'
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
        IdempotencyKeyReused:
          description: '`idempotency_key_reused`: the key was first used for a different request'
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
        NoPublicBaseURL:
          description: |
            `no_public_base_url`: `callbacks.public_base_url` is not configured, so the service would
            have no callback URL; nothing is recorded
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
        InternalError:
          description: an unexpected failure (such as the store becoming unavailable); details are in the daemon's log
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
      schemas:
        GenerationStatus:
          description: |
            `SUBMITTING` (recorded before the upstream call), `STARTING`, `PROCESSING`, `SUCCEEDED`,
            `FAILED` (refunded), `REJECTED` (refused upstream, no photo spent), `LOST` (no terminal
            answer before the give-up age; a late callback or poll revives it)
          type: string
          enum: [SUBMITTING, STARTING, PROCESSING, SUCCEEDED, FAILED, REJECTED, LOST]
        GenerationRequest:
          type: object
          required: [image_url]
          properties:
            image_url:
              description: the photo, an absolute http(s) URL (jpg or png)
              type: string
              format: uri
              pattern: '^https?://'
            auto:
              description: the service detects what to remove; otherwise `mask_url` is needed
              type: [boolean, "null"]
            mask_url:
              description: the mask of what to remove, an absolute http(s) URL
              type: [string, "null"]
              format: uri
              pattern: '^https?://'
          anyOf:
            - required: [auto]
              properties:
                auto:
                  const: true
            - required: [mask_url]
              properties:
                mask_url:
                  type: string
        VariationRequest:
          type: object
          properties:
            original_url:
              description: the original image; defaults to the parent's `image_url`
              type: [string, "null"]
              format: uri
              pattern: '^https?://'
            mask_url:
              description: a new mask; without it the service reuses the previous one
              type: [string, "null"]
              format: uri
              pattern: '^https?://'
        TrackRequest:
          type: object
          required: [generation_id]
          properties:
            generation_id:
              description: the upstream generation to adopt
              type: string
              format: uuid
        Generation:
          type: object
          required: [created_at, id, images, kind, poll_attempts, refunded, status, updated_at]
          properties:
            auto:
              description: the `auto` flag of the submission
              type: [boolean, "null"]
            completed_at:
              description: when it reached a terminal state
              type: [string, "null"]
              format: date-time
            created_at:
              type: string
              format: date-time
            generation_id:
              description: the upstream generation UUID, once the service has answered
              type: [string, "null"]
              format: uuid
            id:
              description: the local id
              type: integer
              format: int64
              minimum: 1
            image_url:
              description: the photo (for a variation, its original)
              type: [string, "null"]
              format: uri
            images:
              description: the result images, once `SUCCEEDED`
              type: array
              items:
                type: string
                format: uri
            kind:
              description: launched here (`generation`, `variation`) or adopted with `POST /v1/track` (`tracked`)
              type: string
              enum: [generation, variation, tracked]
            mask_url:
              type: [string, "null"]
              format: uri
            next_poll_at:
              description: when the poller will next ask the service; absent once terminal
              type: [string, "null"]
              format: date-time
            parent_generation_id:
              description: for a variation, the upstream UUID of its parent
              type: [string, "null"]
              format: uuid
            poll_attempts:
              description: retrieval calls made for it
              type: integer
              minimum: 0
            project_id:
              type: [string, "null"]
              format: uuid
            refunded:
              description: true once a `FAILED` generation's photo is back in the quota
              type: boolean
            remaining_photos:
              description: the quota the service reported when accepting it
              type: [integer, "null"]
            resolved_by:
              description: what brought the terminal state
              type: [string, "null"]
              enum: [callback, poll, null]
            status:
              $ref: '#/components/schemas/GenerationStatus'
            status_reason:
              description: why it is `REJECTED`, `LOST`, or `SUBMITTING` with an unknown outcome
              type: [string, "null"]
            submitted_at:
              description: when the service accepted it
              type: [string, "null"]
              format: date-time
            updated_at:
              type: string
              format: date-time
            variations:
              description: variations already performed on the project, as last reported by the service
              type: [integer, "null"]
              minimum: 0
        GenerationList:
          type: object
          required: [generations]
          properties:
            generations:
              description: newest first
              type: array
              items:
                $ref: '#/components/schemas/Generation'
            next_cursor:
              description: set when the page is full; pass it as `cursor` for the next page
              type: [string, "null"]
        Event:
          type: object
          required: [id, outcome, received_at, source]
          properties:
            http_status:
              description: the HTTP status of the service's answer to a submission or a retrieval call; absent for callbacks
              type: [integer, "null"]
            id:
              type: integer
              format: int64
            outcome:
              description: what the event did; `rejected` means the report itself was refused (see `reason`)
              type: string
              enum: [applied, duplicate, stale, conflict, rejected]
            raw_body:
              description: the body as received; when it is not UTF-8, `base64:` followed by its base64
              type: [string, "null"]
            reason:
              type: [string, "null"]
            received_at:
              type: string
              format: date-time
            source:
              description: a submission answer, a callback, a poll answer, or the daemon giving up (`LOST`)
              type: string
              enum: [submission, callback, poll, giveup]
            status_before:
              description: the generation's state before the event
              type: [string, "null"]
              enum: [SUBMITTING, STARTING, PROCESSING, SUCCEEDED, FAILED, REJECTED, LOST, null]
            status_reported:
              description: the upstream status the event carried
              type: [string, "null"]
              enum: [STARTING, PROCESSING, SUCCEEDED, FAILED, null]
        EventList:
          type: object
          required: [events]
          properties:
            events:
              description: oldest first
              type: array
              items:
                $ref: '#/components/schemas/Event'
            generation_id:
              description: the upstream generation UUID, when known
              type: [string, "null"]
              format: uuid
        Project:
          type: object
          required: [created_at, generations, id, variations_count]
          properties:
            created_at:
              type: string
              format: date-time
            generations:
              description: oldest first
              type: array
              items:
                $ref: '#/components/schemas/Generation'
            id:
              type: string
              format: uuid
            variations_count:
              description: variations performed on the project, as last reported by the service
              type: integer
              minimum: 0
        Stats:
          type: object
          required: [counts, failed, outcome_unknown, pending, polls_in_flight, refunds_since, resolved_by]
          properties:
            counts:
              description: generations per state, every state present
              type: object
              required: [submitting, starting, processing, succeeded, failed, rejected, lost]
              properties:
                submitting: {type: integer, minimum: 0}
                starting: {type: integer, minimum: 0}
                processing: {type: integer, minimum: 0}
                succeeded: {type: integer, minimum: 0}
                failed: {type: integer, minimum: 0}
                rejected: {type: integer, minimum: 0}
                lost: {type: integer, minimum: 0}
              additionalProperties:
                type: integer
            failed:
              description: '`FAILED` + `REJECTED` + `LOST`'
              type: integer
              minimum: 0
            oldest_pending_age_seconds:
              description: age of the oldest pending generation, in seconds (millisecond precision)
              type: [number, "null"]
            outcome_unknown:
              description: submissions whose upstream outcome is unknown
              type: integer
              minimum: 0
            pending:
              description: '`SUBMITTING` + `STARTING` + `PROCESSING`'
              type: integer
              minimum: 0
            polls_in_flight:
              type: integer
              minimum: 0
            refunds_since:
              description: generations refunded since the last `remaining_photos` reading
              type: integer
              minimum: 0
            remaining_photos:
              description: the last `remaining_photos` the service reported
              type: [integer, "null"]
            remaining_photos_recorded_at:
              description: when that reading was recorded
              type: [string, "null"]
              format: date-time
            resolved_by:
              description: terminal generations resolved by a callback and by a poll
              type: object
              required: [callback, poll]
              properties:
                callback:
                  type: integer
                  minimum: 0
                poll:
                  type: integer
                  minimum: 0
        Readiness:
          type: object
          required: [reasons, status]
          properties:
            reasons:
              description: why the daemon is not ready; empty when it is
              type: array
              items:
                type: string
            status:
              type: string
              enum: [ready, not_ready]
        Error:
          type: object
          required: [error]
          properties:
            error:
              type: object
              required: [code, message]
              properties:
                code:
                  description: stable, machine-readable, such as `not_found` or `invalid_image_url`
                  type: string
                message:
                  description: for people
                  type: string
    """#
}
