package rollout_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/strategy"
)

func TestControllerMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	var applied []strategy.Plan
	bg, err := rollout.NewBlueGreen(rollout.BlueGreenConfig{
		Target:        strategy.TargetFunc(func(p strategy.Plan) error { applied = append(applied, p); return nil }),
		Live:          "blue",
		Standby:       "green",
		Name:          "checkout",
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bg.Switch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := bg.Rollback(); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	transitions := int64(0)
	gauges := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if m.Name == "varroute.rollout.transitions" {
					for _, dp := range d.DataPoints {
						if v, _ := dp.Attributes.Value("controller"); v.AsString() != "bluegreen" {
							t.Errorf("controller attribute %q", v.AsString())
						}
						if v, _ := dp.Attributes.Value("plan"); v.AsString() != "checkout" {
							t.Errorf("plan attribute %q", v.AsString())
						}
						transitions += dp.Value
					}
				}
			case metricdata.Gauge[float64], metricdata.Gauge[int64]:
				gauges++
			}
		}
	}
	if transitions < 2 || gauges != 2 {
		t.Errorf("%d transitions and %d gauges recorded, want at least 2 (switch, rollback) and 2", transitions, gauges)
	}
}
