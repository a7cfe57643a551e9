package vargrpc_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/varroute/varroute/audience"
	vargrpc "github.com/varroute/varroute/contrib/grpc"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// modelServer is a gRPC service whose handler calls the router: a model
// server with two versions of its model.
type modelServer struct {
	testgrpc.UnimplementedTestServiceServer
	r *router.Router[string, string]
}

func (m *modelServer) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	// ctx carries the decision the interceptor pinned: the Unit argument is
	// ignored, and a second model call would get the same variant.
	out, err := m.r.Predict(ctx, router.Unit{}, string(req.GetPayload().GetBody()))
	if err != nil {
		return nil, err
	}
	return &testgrpc.SimpleResponse{Username: out}, nil
}

// Route the RPCs of a gRPC model server by the user id in their metadata,
// and report each decision in the response header.
func Example() {
	version := func(name string) router.Predictor[string, string] {
		return router.PredictorFunc[string, string](func(_ context.Context, in string) (string, error) {
			return name + " scored " + in, nil
		})
	}
	plan := strategy.Canary("model-v1", "model-v2", 50)
	plan.Name = "ranking" // salts the hash
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"model-v1": version("model-v1"), "model-v2": version("model-v2")},
		Plan:     plan,
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())

	interceptors, err := vargrpc.NewServer(r, vargrpc.ServerConfig{
		Unit:   vargrpc.UnitConfig{Key: "x-user-id"},
		Report: vargrpc.ReportHeader,
	})
	if err != nil {
		panic(err)
	}
	s := grpc.NewServer(
		grpc.ChainUnaryInterceptor(interceptors.Unary()),
		grpc.ChainStreamInterceptor(interceptors.Stream()),
	)
	testgrpc.RegisterTestServiceServer(s, &modelServer{r: r})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go s.Serve(lis)
	defer s.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	client := testgrpc.NewTestServiceClient(conn)
	for _, user := range []string{"alice", "bob", "carol", "alice"} {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "x-user-id", user)
		var header metadata.MD
		resp, err := client.UnaryCall(ctx, &testgrpc.SimpleRequest{Payload: &testgrpc.Payload{Body: []byte("0.7")}}, grpc.Header(&header))
		if err != nil {
			panic(err)
		}
		d, _ := vargrpc.DecisionFromMetadata(header)
		fmt.Printf("%s: %s (plan %s, %s)\n", user, resp.GetUsername(), d.Plan, d.Reason)
	}
	// Output:
	// alice: model-v1 scored 0.7 (plan ranking, default)
	// bob: model-v2 scored 0.7 (plan ranking, default)
	// carol: model-v2 scored 0.7 (plan ranking, default)
	// alice: model-v1 scored 0.7 (plan ranking, default)
}

// Read a unit from incoming metadata, with a typed attribute; an attribute
// that does not parse is refused with InvalidArgument.
func ExampleUnitExtractor() {
	x, err := vargrpc.NewUnitExtractor(vargrpc.UnitConfig{
		Key:   "x-user-id",
		Attrs: map[string]string{"country": "x-country", "age": "x-age"},
		Kinds: map[string]audience.Kind{"age": audience.KindInt64},
	})
	if err != nil {
		panic(err)
	}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-user-id", "alice", "x-country", "fr", "x-age", "31"))
	u, err := x.Unit(ctx)
	fmt.Printf("key=%s %v %v\n", u.Key, u.Attrs, err)

	ctx = metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-user-id", "bob", "x-age", "thirty"))
	_, err = x.Unit(ctx)
	fmt.Println(err)
	// Output:
	// key=alice age=31 country=fr <nil>
	// vargrpc: metadata entry "x-age" (attribute "age"): not a valid int64: strconv.ParseInt: parsing "thirty": invalid syntax
}

// A gateway forwards the unit it serves to the model server it calls: the
// client interceptor puts the key of the Unit in the call's context into
// the outgoing metadata.
func ExampleNewClient() {
	c, err := vargrpc.NewClient(vargrpc.ClientConfig{Key: "x-user-id"})
	if err != nil {
		panic(err)
	}
	// A stand-in for the connection to the model server, which prints the
	// metadata it would send.
	invoker := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		md, _ := metadata.FromOutgoingContext(ctx)
		fmt.Println(method, md.Get("x-user-id"))
		return nil
	}
	// In a gateway, ctx is the context of the request being served, which
	// its server interceptor (or varhttp.WithUnit) gave a Unit.
	ctx := vargrpc.NewContext(context.Background(), router.Unit{Key: "alice"})
	_ = c.Unary()(ctx, "/model.Service/Predict", nil, nil, nil, invoker)
	// Output:
	// /model.Service/Predict [alice]
}
