// Package httpx holds the HTTP edge: the middleware every request passes
// (request ids, panic recovery, the access and error logs, the request
// metrics hook), the bounds that keep slow
// or numerous clients from exhausting the server (Gate, MinRate), and the
// helpers the APIs share to read queries and conditions and to write XML.
//
// # Flow
//
// A connection is accepted by Gate.Listener, which waits while MaxConns
// connections are open; Gate.ConnState follows it through net/http's
// states (new, active, idle, closed). Once its request header is read
// (within http.Server.ReadHeaderTimeout), the request passes:
//
//  1. Gate.Handler: with more than SoftConns connections open, a request
//     without credentials (Signed: an Authorization header or an
//     X-Amz-Signature query parameter, not verified here) is answered
//     503 SlowDown with Connection: close, and its connection is closed
//     at once. Meanwhile the gate's sweeper closes idle connections, then
//     connections slow to send a header, until SoftConns are left.
//  2. MinRate: the body and the response are held to a minimum transfer
//     rate through the connection's read and write deadlines (Rate).
//  3. Wrap: request id (in the response headers and the request's context,
//     where LogHandler finds it for every line logged with that context),
//     Server header, recovery, and the per-read body timeout of
//     Options.BodyReadTimeout. After the handler: a line in the error log
//     for a status of 500 or more, a line in the access log when there is
//     one (Options.AccessLog, off by default; LogFile buffers it), and
//     Options.Observe for the metrics.
//  4. The router names the API (SetAPI) and calls the API handler, which
//     authenticates: a forged signature is refused there like any other.
//
// # Invariants
//
//   - Every connection Gate.Listener returns is counted until it is
//     closed, however it is closed (by net/http, the sweeper, a refusal).
//   - A deadline is never set on a connection after its request body has
//     ended: net/http then reads the connection in the background, and a
//     deadline would end that read and cancel the request's context.
//   - The time a handler spends on its own work is never charged to the
//     client: MinRate counts only the time spent blocked on the client.
//   - Access log lines carry the method, the path (never the query string,
//     which may hold a presigned signature or a session token), the API,
//     the status, the bytes written, the duration, the peer's address and
//     the request id. Nothing is logged for a successful request unless
//     the access log is on; a 5xx is always logged.
//   - Over TLS the gate counts the TCP connections under the TLS ones.
package httpx
