package vargrpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/varroute/varroute/audience"
	vargrpc "github.com/varroute/varroute/contrib/grpc"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
	"github.com/varroute/varroute/varhttp"
)

// model is a model version: it answers with its name.
func model(name string) router.Predictor[string, string] {
	return router.PredictorFunc[string, string](func(_ context.Context, in string) (string, error) {
		return name + ":" + in, nil
	})
}

// testPlan sends 30% of units to v2, and every unit from France to v2.
func testPlan(name string) strategy.Plan {
	p := strategy.Canary("v1", "v2", 30)
	p.Name = name
	p.Audiences = []audience.Audience{{
		Name:       "france",
		Conditions: audience.Condition{Key: "country", Op: audience.OpEquals, Value: "fr"},
	}}
	p.Rules = []strategy.Rule{{Audience: "france", Split: strategy.Split{{Variant: "v2", Weight: 100}}}}
	return p
}

func newRouter(t testing.TB, p strategy.Plan) *router.Router[string, string] {
	t.Helper()
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": model("v1"), "v2": model("v2")},
		Plan:     p,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

var serverUnit = vargrpc.UnitConfig{
	Key:   "x-user-id",
	Attrs: map[string]string{"country": "x-country", "age": "x-age"},
	Kinds: map[string]audience.Kind{"age": audience.KindInt64},
}

// service is a model server: each RPC calls the router twice (a pipeline of
// two model calls) with the RPC's context.
type service struct {
	testgrpc.UnimplementedTestServiceServer
	r       *router.Router[string, string]
	between func() // called between the two model calls, if not nil
	calls   atomic.Int64
}

// twoCalls makes the two model calls of one request and describes them as
// "served1,served2 pinned-variant unit-key".
func (s *service) twoCalls(ctx context.Context, in string) (string, error) {
	s.calls.Add(1)
	// The Unit argument is ignored: the interceptor pinned the decision.
	_, o1, err := s.r.Serve(ctx, router.Unit{}, in)
	if err != nil {
		return "", err
	}
	if s.between != nil {
		s.between()
	}
	_, o2, err := s.r.Serve(ctx, router.Unit{}, in)
	if err != nil {
		return "", err
	}
	d, _ := vargrpc.DecisionFrom(ctx)
	u, _ := vargrpc.UnitFrom(ctx)
	return fmt.Sprintf("%s,%s %s %s", o1.Served, o2.Served, d.Variant, u.Key), nil
}

func (s *service) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	s.calls.Add(1)
	return &testgrpc.Empty{}, nil
}

func (s *service) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	got, err := s.twoCalls(ctx, string(req.GetPayload().GetBody()))
	if err != nil {
		return nil, err
	}
	return &testgrpc.SimpleResponse{Username: got}, nil
}

func (s *service) FullDuplexCall(stream grpc.BidiStreamingServer[testgrpc.StreamingOutputCallRequest, testgrpc.StreamingOutputCallResponse]) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		got, err := s.twoCalls(stream.Context(), string(req.GetPayload().GetBody()))
		if err != nil {
			return err
		}
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: &testgrpc.Payload{Body: []byte(got)}}); err != nil {
			return err
		}
	}
}

// serve starts a gRPC server on 127.0.0.1 with svc and opts, stopped when the
// test ends, and returns its address.
func serve(t testing.TB, svc testgrpc.TestServiceServer, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(s, svc)
	done := make(chan error, 1)
	go func() { done <- s.Serve(lis) }()
	t.Cleanup(func() {
		s.Stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return lis.Addr().String()
}

// dial returns a client of the server at addr, closed when the test ends.
func dial(t testing.TB, addr string, opts ...grpc.DialOption) testgrpc.TestServiceClient {
	t.Helper()
	cc, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return testgrpc.NewTestServiceClient(cc)
}

func interceptors(t testing.TB, p vargrpc.Pinner, cfg vargrpc.ServerConfig) []grpc.ServerOption {
	t.Helper()
	srv, err := vargrpc.NewServer(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(srv.Unary()), grpc.ChainStreamInterceptor(srv.Stream())}
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// binomialBounds returns the smallest interval [lo, hi] holding a
// Binomial(n, p) count with probability at least 1-alpha, alpha/2 cut from
// each tail.
func binomialBounds(n int, p, alpha float64) (lo, hi int) {
	pmf := func(k int) float64 {
		lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
		return math.Exp(lg(float64(n+1)) - lg(float64(k+1)) - lg(float64(n-k+1)) +
			float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
	}
	cum := 0.0
	for lo = 0; lo <= n; lo++ {
		if cum+pmf(lo) > alpha/2 {
			break
		}
		cum += pmf(lo)
	}
	cum = 0
	for hi = n; hi >= 0; hi-- {
		if cum+pmf(hi) > alpha/2 {
			break
		}
		cum += pmf(hi)
	}
	return lo, hi
}

// TestStickySplit sends 10,000 RPCs for 1,000 units over a real connection:
// every unit is always served by one variant — the router's decision for
// it — both model calls of each RPC use the pinned variant, the header
// reports it, and the share of v2 among the units no rule matches is within
// its 99.9% binomial interval.
func TestStickySplit(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	plan := testPlan("sticky-split")
	r := newRouter(t, plan)
	svc := &service{r: r}
	addr := serve(t, svc, interceptors(t, r, vargrpc.ServerConfig{Unit: serverUnit, Report: vargrpc.ReportHeader})...)
	client := dial(t, addr)
	ctx := testContext(t)

	const units, perUnit = 1000, 10
	type unit struct {
		key, country string
		want         router.Decision
	}
	us := make([]unit, units)
	for i := range us {
		us[i].key = fmt.Sprintf("user-%016x", rng.Uint64())
		if rng.IntN(10) == 0 {
			us[i].country = "fr"
		} else {
			us[i].country = "us"
		}
		us[i].want = r.Decide(router.Unit{Key: us[i].key, Attrs: audience.Attributes{audience.String("country", us[i].country)}})
	}
	order := make([]int, 0, units*perUnit)
	for i := range us {
		for range perUnit {
			order = append(order, i)
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	var served sync.Map // unit index -> variant, across workers
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				n := int(next.Add(1)) - 1
				if n >= len(order) {
					return
				}
				u := &us[order[n]]
				md := metadata.Pairs("x-user-id", u.key, "x-country", u.country, "x-age", "30")
				var header metadata.MD
				resp, err := client.UnaryCall(metadata.NewOutgoingContext(ctx, md),
					&testgrpc.SimpleRequest{Payload: &testgrpc.Payload{Body: []byte("x")}}, grpc.Header(&header))
				if err != nil {
					fail("unit %s: %v", u.key, err)
					continue
				}
				want := fmt.Sprintf("%s,%s %s %s", u.want.Variant, u.want.Variant, u.want.Variant, u.key)
				if resp.GetUsername() != want {
					fail("unit %s: served %q, want %q", u.key, resp.GetUsername(), want)
				}
				d, ok := vargrpc.DecisionFromMetadata(header)
				if !ok || d.Plan != u.want.Plan || d.Variant != u.want.Variant || d.Rule != u.want.Rule || d.Reason != u.want.Reason {
					fail("unit %s: header %v, want %+v", u.key, header, u.want)
				}
				if prev, loaded := served.LoadOrStore(order[n], d.Variant); loaded && prev != d.Variant {
					fail("unit %s: served by %v and %v", u.key, prev, d.Variant)
				}
			}
		})
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	if got := svc.calls.Load(); got != units*perUnit {
		t.Fatalf("%d RPCs handled, want %d", got, units*perUnit)
	}

	var n, v2 int
	for _, u := range us {
		switch {
		case u.country == "fr":
			if u.want.Variant != "v2" || u.want.Rule != "france" || u.want.Reason != router.ReasonRule {
				t.Errorf("unit %s from France: %+v, want v2 by rule france", u.key, u.want)
			}
		default:
			n++
			if u.want.Variant == "v2" {
				v2++
			}
		}
	}
	lo, hi := binomialBounds(n, 0.30, 0.001)
	t.Logf("v2 serves %d of %d units outside France (99.9%% interval [%d, %d])", v2, n, lo, hi)
	if v2 < lo || v2 > hi {
		t.Errorf("v2 serves %d of %d units, outside the 99.9%% binomial interval [%d, %d] of 30%%", v2, n, lo, hi)
	}
}

// TestStream: every message of a stream gets the stream's pinned decision.
func TestStream(t *testing.T) {
	r := newRouter(t, testPlan("stream"))
	addr := serve(t, &service{r: r}, interceptors(t, r, vargrpc.ServerConfig{Unit: serverUnit, Report: vargrpc.ReportTrailer})...)
	client := dial(t, addr)
	for i := range 20 {
		key := fmt.Sprintf("stream-user-%d", i)
		want := r.Decide(router.Unit{Key: key})
		ctx := metadata.AppendToOutgoingContext(testContext(t), "x-user-id", key)
		stream, err := client.FullDuplexCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if err := stream.Send(&testgrpc.StreamingOutputCallRequest{Payload: &testgrpc.Payload{Body: []byte("x")}}); err != nil {
				t.Fatal(err)
			}
			resp, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if got, w := string(resp.GetPayload().GetBody()), fmt.Sprintf("%[1]s,%[1]s %[1]s %s", want.Variant, key); got != w {
				t.Fatalf("unit %s: %q, want %q", key, got, w)
			}
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
			t.Fatalf("end of stream: %v", err)
		}
		d, ok := vargrpc.DecisionFromMetadata(stream.Trailer())
		if !ok || d.Variant != want.Variant || d.Reason != want.Reason || d.Plan != "stream" {
			t.Fatalf("trailer %v, want %+v", stream.Trailer(), want)
		}
	}
}

// TestPinnedAcrossPlanSwap: a plan swapped between the two model calls of
// an RPC does not split it between two variants.
func TestPinnedAcrossPlanSwap(t *testing.T) {
	r := newRouter(t, strategy.BigBang("v1"))
	svc := &service{r: r}
	svc.between = func() {
		if err := r.SetPlan(strategy.BigBang("v2")); err != nil {
			t.Error(err)
		}
	}
	addr := serve(t, svc, interceptors(t, r, vargrpc.ServerConfig{Unit: serverUnit})...)
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-user-id", "alice")
	resp, err := dial(t, addr).UnaryCall(ctx, &testgrpc.SimpleRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resp.GetUsername(), "v1,v1 v1 alice"; got != want {
		t.Fatalf("served %q, want %q", got, want)
	}
	if d := r.Decide(router.Unit{Key: "alice"}); d.Variant != "v2" {
		t.Fatalf("after the swap: %+v", d)
	}
}

// TestBadMetadata: refused metadata fails the RPC with InvalidArgument and a
// message naming the entry and the limit, and the handler is not called.
func TestBadMetadata(t *testing.T) {
	r := newRouter(t, testPlan("bad"))
	svc := &service{r: r}
	cfg := vargrpc.ServerConfig{Unit: serverUnit}
	cfg.Unit.MaxKeyLen = 64
	addr := serve(t, svc, interceptors(t, r, cfg)...)
	client := dial(t, addr)
	tests := []struct {
		name string
		md   metadata.MD
		want string
	}{
		{
			name: "key too long",
			md:   metadata.Pairs("x-user-id", strings.Repeat("u", 65)),
			want: `vargrpc: metadata entry "x-user-id" (unit key): 65 bytes, limit 64`,
		},
		{
			name: "two keys",
			md:   metadata.Pairs("x-user-id", "alice", "x-user-id", "bob"),
			want: `vargrpc: metadata entry "x-user-id" (unit key): 2 values, limit 1`,
		},
		{
			name: "attribute too long",
			md:   metadata.Pairs("x-country", strings.Repeat("c", vargrpc.DefaultMaxValueLen+1)),
			want: `vargrpc: metadata entry "x-country" (attribute "country"): 1025 bytes, limit 1024`,
		},
		{
			name: "not an int",
			md:   metadata.Pairs("x-user-id", "alice", "x-age", "thirty"),
			want: `vargrpc: metadata entry "x-age" (attribute "age"): not a valid int64: strconv.ParseInt: parsing "thirty": invalid syntax`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := metadata.NewOutgoingContext(testContext(t), tc.md)
			_, err := client.UnaryCall(ctx, &testgrpc.SimpleRequest{})
			if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != tc.want {
				t.Errorf("unary: %v, want InvalidArgument %q", err, tc.want)
			}
			stream, err := client.FullDuplexCall(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = stream.Recv()
			if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != tc.want {
				t.Errorf("stream: %v, want InvalidArgument %q", err, tc.want)
			}
		})
	}
	if n := svc.calls.Load(); n != 0 {
		t.Fatalf("the handler was called %d times", n)
	}
}

// TestSkip: a skipped method is not intercepted, so its metadata is not
// even read.
func TestSkip(t *testing.T) {
	r := newRouter(t, testPlan("skip"))
	svc := &service{r: r}
	addr := serve(t, svc, interceptors(t, r, vargrpc.ServerConfig{
		Unit: serverUnit,
		Skip: func(m string) bool { return m == testgrpc.TestService_EmptyCall_FullMethodName },
	})...)
	client := dial(t, addr)
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-age", "thirty")
	if _, err := client.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
		t.Fatalf("skipped method: %v", err)
	}
	if _, err := client.UnaryCall(ctx, &testgrpc.SimpleRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("intercepted method: %v, want InvalidArgument", err)
	}
}

// TestClientForwardsKey: a gateway's client interceptor forwards the unit it
// is serving to the model server it calls, which decides the same variant.
func TestClientForwardsKey(t *testing.T) {
	r := newRouter(t, testPlan("forward"))
	backend := serve(t, &service{r: r}, interceptors(t, r, vargrpc.ServerConfig{Unit: serverUnit, Report: vargrpc.ReportHeader})...)
	c, err := vargrpc.NewClient(vargrpc.ClientConfig{Key: "X-User-ID"})
	if err != nil {
		t.Fatal(err)
	}
	client := dial(t, backend, grpc.WithChainUnaryInterceptor(c.Unary()), grpc.WithChainStreamInterceptor(c.Stream()))

	key := func(resp *testgrpc.SimpleResponse) string {
		f := strings.Fields(resp.GetUsername())
		if len(f) < 3 {
			return ""
		}
		return f[2]
	}
	tests := []struct {
		name string
		ctx  context.Context
		want string // the key the backend saw
	}{
		{name: "from vargrpc", ctx: vargrpc.NewContext(testContext(t), router.Unit{Key: "alice"}), want: "alice"},
		{name: "from varhttp", ctx: varhttp.NewContext(testContext(t), router.Unit{Key: "bob"}), want: "bob"},
		{name: "explicit metadata wins", ctx: metadata.AppendToOutgoingContext(vargrpc.NewContext(testContext(t), router.Unit{Key: "alice"}), "x-user-id", "carol"), want: "carol"},
		{name: "no unit", ctx: testContext(t), want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var header metadata.MD
			resp, err := client.UnaryCall(tc.ctx, &testgrpc.SimpleRequest{}, grpc.Header(&header))
			if err != nil {
				t.Fatal(err)
			}
			if got := key(resp); got != tc.want {
				t.Fatalf("backend saw key %q, want %q", got, tc.want)
			}
			d, _ := vargrpc.DecisionFromMetadata(header)
			if want := r.Decide(router.Unit{Key: tc.want}); d.Variant != want.Variant {
				t.Fatalf("backend decided %+v, want %+v", d, want)
			}
		})
	}

	t.Run("stream", func(t *testing.T) {
		stream, err := client.FullDuplexCall(vargrpc.NewContext(testContext(t), router.Unit{Key: "dave"}))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&testgrpc.StreamingOutputCallRequest{}); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if got := string(resp.GetPayload().GetBody()); !strings.HasSuffix(got, " dave") {
			t.Fatalf("backend answered %q, want the unit dave", got)
		}
		_ = stream.CloseSend()
		if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
	})

	t.Run("unprintable key", func(t *testing.T) {
		_, err := client.UnaryCall(vargrpc.NewContext(testContext(t), router.Unit{Key: "zoë"}), &testgrpc.SimpleRequest{})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), `metadata entry "x-user-id"`) {
			t.Fatalf("%v, want InvalidArgument naming the entry", err)
		}
		_, err = client.FullDuplexCall(vargrpc.NewContext(testContext(t), router.Unit{Key: "zoë"}))
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("stream: %v, want InvalidArgument", err)
		}
	})
}

// TestReportEncodesNames: plan, rule and variant names that metadata cannot
// carry as they are are percent-encoded, and read back.
func TestReportEncodesNames(t *testing.T) {
	p := strategy.BigBang("modèle 2")
	p.Name = "expérience 100%"
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"modèle 2": model("m2")},
		Plan:     p,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	addr := serve(t, &service{r: r}, interceptors(t, r, vargrpc.ServerConfig{Unit: serverUnit, Report: vargrpc.ReportHeader})...)
	client := dial(t, addr)
	var header metadata.MD
	if _, err := client.UnaryCall(metadata.AppendToOutgoingContext(testContext(t), "x-user-id", "u"), &testgrpc.SimpleRequest{}, grpc.Header(&header)); err != nil {
		t.Fatal(err)
	}
	d, ok := vargrpc.DecisionFromMetadata(header)
	if !ok || d.Plan != "expérience 100%" || d.Variant != "modèle 2" || d.Reason != router.ReasonDefault {
		t.Fatalf("decision %+v from %v", d, header)
	}
}

func TestNewServerConfig(t *testing.T) {
	r := newRouter(t, testPlan("config"))
	if _, err := vargrpc.NewServer(nil, vargrpc.ServerConfig{}); !errors.Is(err, vargrpc.ErrConfig) {
		t.Errorf("nil pinner: %v", err)
	}
	if _, err := vargrpc.NewServer(r, vargrpc.ServerConfig{Report: 9}); !errors.Is(err, vargrpc.ErrConfig) {
		t.Errorf("bad report: %v", err)
	}
	if _, err := vargrpc.NewServer(r, vargrpc.ServerConfig{Unit: vargrpc.UnitConfig{Key: "x user"}}); !errors.Is(err, vargrpc.ErrConfig) {
		t.Errorf("bad entry: %v", err)
	}
	if _, err := vargrpc.NewClient(vargrpc.ClientConfig{}); !errors.Is(err, vargrpc.ErrConfig) {
		t.Errorf("client without key: %v", err)
	}
}
