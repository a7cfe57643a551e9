// Package otelsdk holds benchmarks of the router with the OpenTelemetry
// SDK installed. It is a module of its own so that the SDK version measured
// (v1.47, the one users get today) can differ from the API version the core
// module builds with; nothing here is imported.
package otelsdk
