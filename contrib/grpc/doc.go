// Package vargrpc connects a varroute router to gRPC (google.golang.org/grpc),
// where Go model servers often are (the KServe v2 / Triton inference
// protocol is gRPC). Import it as
//
//	import vargrpc "github.com/varroute/varroute/contrib/grpc"
//
// It lives in a module of its own, so the core module does not depend on
// gRPC.
//
// # Server
//
// A Server's interceptors read each RPC's unit from its incoming metadata —
// the key from one entry, typed attributes from others, as varhttp reads
// them from HTTP headers — and pin the router's decision in the RPC's
// context (router.Router.Pin): every model call the handler makes with that
// context, however many, gets the same variant under the same plan, even
// while the plan is being swapped.
//
//	r, _ := router.New(router.Config[*Request, *Response]{...})
//	srv, err := vargrpc.NewServer(r, vargrpc.ServerConfig{
//		Unit: vargrpc.UnitConfig{
//			Key:   "x-user-id",
//			Attrs: map[string]string{"country": "x-country", "age": "x-age"},
//			Kinds: map[string]audience.Kind{"age": audience.KindInt64},
//		},
//		Report: vargrpc.ReportTrailer,
//	})
//	s := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(srv.Unary()),
//		grpc.ChainStreamInterceptor(srv.Stream()),
//	)
//
// In the handler, r.Predict(ctx, router.Unit{}, in) uses the pinned
// decision (the Unit argument is ignored when ctx carries one); UnitFrom
// and DecisionFrom return the RPC's unit and decision.
//
// Incoming metadata is untrusted. An entry with more than one value, a key
// longer than UnitConfig.MaxKeyLen (DefaultMaxKeyLen), an attribute longer
// than UnitConfig.MaxValueLen (DefaultMaxValueLen), or a typed attribute
// that does not parse fails the RPC with codes.InvalidArgument and a
// message naming the entry and the limit (a *MetadataError); the handler is
// not called. An absent or empty key gives an anonymous unit, which the
// router does not hash (see router.Unit).
//
// With ServerConfig.Report, the decision is sent back to the client in the
// response header or trailer (entries MetadataPlan, MetadataVariant,
// MetadataRule, MetadataReason; DecisionFromMetadata reads them). It is off
// by default: a decision tells a user which arm of an experiment they are
// in.
//
// # Client
//
// A Client's interceptors forward the unit key of the outgoing call's
// context — the unit a server interceptor, NewContext or varhttp.WithUnit
// stored — in a metadata entry, so a gateway or pipeline service that
// calls model servers keeps every hop on the same unit.
//
//	c, err := vargrpc.NewClient(vargrpc.ClientConfig{Key: "x-user-id"})
//	conn, err := grpc.NewClient(addr,
//		grpc.WithChainUnaryInterceptor(c.Unary()),
//		grpc.WithChainStreamInterceptor(c.Stream()),
//	)
//
// # Cost
//
// Per RPC, the server interceptor costs what Pin costs (a context value)
// plus gRPC's copy of each metadata entry read, the unit's attribute slice
// and one context value for UnitFrom and DecisionFrom; BENCHMARKS.md has
// the measured figures. Reporting the decision adds one metadata map.
package vargrpc
