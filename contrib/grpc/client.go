package vargrpc

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/varroute/varroute/varhttp"
)

// ClientConfig configures the client interceptors. Key is required.
type ClientConfig struct {
	// Key names the metadata entry the unit key is sent in, such as
	// "x-user-id": the server's UnitConfig.Key.
	Key string
	// KeyFrom returns the unit key of an outgoing call's context, "" for
	// none. Nil means the key of the Unit in the context: the one a
	// server interceptor or NewContext stored (UnitFrom), or else the one
	// varhttp stored (varhttp.UnitFrom) — so a service forwards the unit
	// of the request it is serving, over HTTP or gRPC, to the model
	// servers it calls.
	KeyFrom func(ctx context.Context) string
}

// A Client holds the client interceptors that forward unit keys: each
// outgoing call whose context has a key carries it in the metadata entry
// ClientConfig.Key, unless the call's outgoing metadata already sets that
// entry (an explicit value wins). A Client is immutable and safe for
// concurrent use.
type Client struct {
	entry   string
	keyFrom func(context.Context) string
}

// NewClient returns the client interceptors for cfg. It returns an error
// matching ErrConfig if cfg.Key is not a valid text metadata entry name
// (see UnitConfig).
func NewClient(cfg ClientConfig) (*Client, error) {
	k, err := entryName("Key", cfg.Key)
	if err != nil {
		return nil, err
	}
	c := &Client{entry: k, keyFrom: cfg.KeyFrom}
	if c.keyFrom == nil {
		c.keyFrom = contextKey
	}
	return c, nil
}

// contextKey returns the key of the Unit stored by this package or by
// varhttp.
func contextKey(ctx context.Context) string {
	if u, ok := UnitFrom(ctx); ok {
		return u.Key
	}
	if u, ok := varhttp.UnitFrom(ctx); ok {
		return u.Key
	}
	return ""
}

// outgoing returns ctx with the unit key added to its outgoing metadata. A
// key that gRPC metadata cannot carry (one with bytes outside printable
// ASCII) fails the call with codes.InvalidArgument before it is sent.
func (c *Client) outgoing(ctx context.Context) (context.Context, error) {
	key := c.keyFrom(ctx)
	if key == "" {
		return ctx, nil
	}
	if md, ok := metadata.FromOutgoingContext(ctx); ok && len(md[c.entry]) > 0 {
		return ctx, nil
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return ctx, status.Error(codes.InvalidArgument, fmt.Sprintf(
				"vargrpc: unit key has byte %#x at %d, outside the printable ASCII that metadata entry %q can carry", key[i], i, c.entry))
		}
	}
	return metadata.AppendToOutgoingContext(ctx, c.entry, key), nil
}

// Unary returns the unary client interceptor.
func (c *Client) Unary() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx, err := c.outgoing(ctx)
		if err != nil {
			return err
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// Stream returns the stream client interceptor.
func (c *Client) Stream() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		ctx, err := c.outgoing(ctx)
		if err != nil {
			return nil, err
		}
		return streamer(ctx, desc, cc, method, opts...)
	}
}
