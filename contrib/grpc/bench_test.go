package vargrpc_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	vargrpc "github.com/varroute/varroute/contrib/grpc"
	"github.com/varroute/varroute/router"
)

// benchHandler is a unary handler that makes one model call.
func benchHandler(r *router.Router[string, string]) grpc.UnaryHandler {
	return func(ctx context.Context, req any) (any, error) {
		return r.Predict(ctx, router.Unit{}, "x")
	}
}

// benchIncoming is the incoming context of an RPC with a key and two
// attributes.
func benchIncoming() context.Context {
	return metadata.NewIncomingContext(context.Background(),
		metadata.Pairs("x-user-id", "user-1234567890", "x-country", "us", "x-age", "31", "user-agent", "grpc-go"))
}

// BenchmarkInterceptor measures the unary server interceptor in process,
// without a network: "none" calls the handler directly, "unary" through the
// interceptor, which extracts the unit from metadata and pins its decision.
func BenchmarkInterceptor(b *testing.B) {
	r := newRouter(b, testPlan("bench"))
	handler := benchHandler(r)
	info := &grpc.UnaryServerInfo{FullMethod: testgrpc.TestService_UnaryCall_FullMethodName}
	ctx := benchIncoming()
	srv, err := vargrpc.NewServer(r, vargrpc.ServerConfig{Unit: serverUnit})
	if err != nil {
		b.Fatal(err)
	}
	unary := srv.Unary()
	b.Run("none", func(b *testing.B) {
		loop(b, func() {
			_, _ = handler(ctx, nil)
		})
	})
	b.Run("unary", func(b *testing.B) {
		loop(b, func() {
			_, _ = unary(ctx, nil, info, handler)
		})
	})
}

// BenchmarkRPC measures unary RPCs over a real loopback connection, each
// making one model call, against a server without the interceptors
// ("plain") and with them ("interceptor"). Allocations count both client
// and server, which share the process, and so does cpu-ns/op: the CPU
// time of both per RPC.
func BenchmarkRPC(b *testing.B) {
	r := newRouter(b, testPlan("bench"))
	plain := dial(b, serve(b, &benchService{r: r}))
	intercepted := dial(b, serve(b, &benchService{r: r}, interceptors(b, r, vargrpc.ServerConfig{Unit: serverUnit})...))
	ctx := metadata.NewOutgoingContext(context.Background(),
		metadata.Pairs("x-user-id", "user-1234567890", "x-country", "us", "x-age", "31"))
	req := &testgrpc.SimpleRequest{}
	for _, bc := range []struct {
		name   string
		client testgrpc.TestServiceClient
	}{{"plain", plain}, {"interceptor", intercepted}} {
		b.Run(bc.name, func(b *testing.B) {
			loop(b, func() {
				if _, err := bc.client.UnaryCall(ctx, req); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// benchService makes one model call per RPC.
type benchService struct {
	testgrpc.UnimplementedTestServiceServer
	r *router.Router[string, string]
}

func (s *benchService) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	out, err := s.r.Predict(ctx, router.Unit{}, "x")
	if err != nil {
		return nil, err
	}
	return &testgrpc.SimpleResponse{Username: out}, nil
}

// TestInterceptorAllocs holds the unary interceptor to its allocations: per
// RPC, gRPC's copy of each of the three entries read, the attribute slice,
// Pin's context value and decision, and the context of UnitFrom and
// DecisionFrom.
func TestInterceptorAllocs(t *testing.T) {
	r := newRouter(t, testPlan("allocs"))
	handler := benchHandler(r)
	info := &grpc.UnaryServerInfo{FullMethod: testgrpc.TestService_UnaryCall_FullMethodName}
	ctx := benchIncoming()
	srv, err := vargrpc.NewServer(r, vargrpc.ServerConfig{Unit: serverUnit})
	if err != nil {
		t.Fatal(err)
	}
	unary := srv.Unary()
	base := testing.AllocsPerRun(100, func() { _, _ = handler(ctx, nil) })
	with := testing.AllocsPerRun(100, func() { _, _ = unary(ctx, nil, info, handler) })
	t.Logf("handler alone: %v allocs; through the interceptor: %v", base, with)
	if extra := with - base; extra > 7 {
		t.Fatalf("the interceptor costs %v allocs, want <= 7", extra)
	}
}

// loop runs f b.N times with b.Loop and reports the CPU time per operation
// as "cpu-ns/op" (see cpuTime).
func loop(b *testing.B, f func()) {
	b.ReportAllocs()
	start, ok := cpuTime()
	for b.Loop() {
		f()
	}
	if end, ok2 := cpuTime(); ok && ok2 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}
