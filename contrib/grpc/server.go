package vargrpc

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/varroute/varroute/router"
)

// A Pinner decides a unit and returns a context that carries the decision,
// so that every model call made with that context uses it. Every
// *router.Router satisfies it, whatever its type parameters (see
// router.Router.Pin). Implementations must be safe for concurrent use.
type Pinner interface {
	Pin(ctx context.Context, u router.Unit) (context.Context, router.Decision)
}

// PinnerFunc adapts an ordinary function to a Pinner.
type PinnerFunc func(ctx context.Context, u router.Unit) (context.Context, router.Decision)

// Pin calls f(ctx, u).
func (f PinnerFunc) Pin(ctx context.Context, u router.Unit) (context.Context, router.Decision) {
	return f(ctx, u)
}

// Report says whether and where a server interceptor tells the client the
// decision of its RPC.
type Report uint8

const (
	// ReportNone tells the client nothing: the default, since a decision
	// reveals which arm of an experiment a user is in.
	ReportNone Report = iota
	// ReportHeader sends the decision in the response header metadata
	// (before the first response message).
	ReportHeader
	// ReportTrailer sends the decision in the trailer metadata (with the
	// status).
	ReportTrailer
)

// The metadata entries in which a server interceptor reports a decision
// (see Report). DecisionFromMetadata reads them back.
const (
	MetadataPlan    = "varroute-plan"
	MetadataVariant = "varroute-variant"
	MetadataRule    = "varroute-rule" // absent for the default split
	MetadataReason  = "varroute-reason"
)

// ServerConfig configures the server interceptors. The zero value gives
// anonymous units (the plan's majority variant for every RPC, see
// router.Unit), reports nothing and intercepts every method.
type ServerConfig struct {
	// Unit says which metadata entries carry the unit.
	Unit UnitConfig
	// Report says whether and where the decision is sent to the client.
	// Zero means ReportNone.
	Report Report
	// Skip, if not nil, is called with each RPC's full method name
	// ("/package.Service/Method"); an RPC for which it returns true is
	// passed on untouched: no unit is read and nothing is pinned (health
	// checks and reflection, say). Nil means every RPC is intercepted.
	Skip func(fullMethod string) bool
}

// A Server holds the server interceptors of one Pinner, usually a
// *router.Router: for each RPC they read the unit from the incoming
// metadata, pin its decision in the RPC's context, so that every model call
// of the RPC made with that context gets the same variant and plan, and
// then call the handler. A Server is immutable and safe for concurrent use.
//
// The handler's context also carries the Unit (UnitFrom) and the decision
// (DecisionFrom). To pin the decisions of several routers, chain the
// interceptors of one Server per router.
type Server struct {
	pinner Pinner
	units  *UnitExtractor
	report Report
	skip   func(string) bool
}

// NewServer returns the server interceptors that pin p's decisions. It
// returns an error matching ErrConfig if p is nil or cfg is invalid (see
// NewUnitExtractor).
func NewServer(p Pinner, cfg ServerConfig) (*Server, error) {
	if p == nil {
		return nil, configErr("nil Pinner")
	}
	if cfg.Report > ReportTrailer {
		return nil, configErr("unknown Report %d", cfg.Report)
	}
	x, err := NewUnitExtractor(cfg.Unit)
	if err != nil {
		return nil, err
	}
	return &Server{pinner: p, units: x, report: cfg.Report, skip: cfg.Skip}, nil
}

// pin extracts the unit of the RPC of ctx and pins its decision.
func (s *Server) pin(ctx context.Context) (context.Context, router.Decision, error) {
	u, err := s.units.Unit(ctx)
	if err != nil {
		return ctx, router.Decision{}, err
	}
	ctx, d := s.pinner.Pin(ctx, u)
	return &infoContext{Context: ctx, unit: u, decision: d, pinned: true}, d, nil
}

// Unary returns the unary server interceptor. An RPC whose metadata the
// UnitExtractor refuses fails with codes.InvalidArgument and the handler is
// not called.
func (s *Server) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if s.skip != nil && s.skip(info.FullMethod) {
			return handler(ctx, req)
		}
		ctx, d, err := s.pin(ctx)
		if err != nil {
			return nil, err
		}
		switch s.report {
		case ReportHeader:
			// Errors only when the header was already sent, which no
			// handler has had the chance to do yet.
			_ = grpc.SetHeader(ctx, decisionMetadata(d))
		case ReportTrailer:
			_ = grpc.SetTrailer(ctx, decisionMetadata(d))
		}
		return handler(ctx, req)
	}
}

// Stream returns the stream server interceptor: the handler's stream has
// the pinned context, so every message of the stream gets the same
// decision. An RPC whose metadata the UnitExtractor refuses fails with
// codes.InvalidArgument and the handler is not called.
func (s *Server) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if s.skip != nil && s.skip(info.FullMethod) {
			return handler(srv, ss)
		}
		ctx, d, err := s.pin(ss.Context())
		if err != nil {
			return err
		}
		switch s.report {
		case ReportHeader:
			if err := ss.SetHeader(decisionMetadata(d)); err != nil {
				return fmt.Errorf("vargrpc: report the decision in the header: %w", err)
			}
		case ReportTrailer:
			ss.SetTrailer(decisionMetadata(d))
		}
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

// serverStream is a grpc.ServerStream whose context carries the pinned
// decision.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context returns the pinned context.
func (s *serverStream) Context() context.Context { return s.ctx }

// decisionMetadata returns the metadata that reports d.
func decisionMetadata(d router.Decision) metadata.MD {
	md := metadata.MD{
		MetadataPlan:    {encodeValue(d.Plan)},
		MetadataVariant: {encodeValue(d.Variant)},
		MetadataReason:  {string(d.Reason)},
	}
	if d.Rule != "" {
		md[MetadataRule] = []string{encodeValue(d.Rule)}
	}
	return md
}
