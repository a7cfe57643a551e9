// Shadow: a candidate model sees mirrored production traffic; its answers
// are compared with the live model's and recorded, never returned.
//
// The live model is a 3-class scorer; the candidate was retrained and
// disagrees on some borderline inputs. The router mirrors every request to
// the candidate in a bounded pool (the user never waits for it), compares
// the predicted labels, mirrors 20% of requests to the live model a second
// time to measure its own noise floor (it uses dropout-like jitter), and
// tracks drift between the two models' top scores.
//
//	go run ./examples/shadow
package main

import (
	"context"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/shadow"
	"github.com/varroute/varroute/strategy"
)

// Input is a request's feature vector.
type Input [4]float64

// classifier scores 3 classes with a linear model plus optional jitter.
type classifier struct {
	w      [3][4]float64
	jitter float64 // std-dev of noise added to scores (non-determinism)
	cost   time.Duration
	seed   atomic.Uint64
}

func (c *classifier) Predict(ctx context.Context, in Input) ([]float64, error) {
	if c.cost > 0 {
		t := time.NewTimer(c.cost) // stands in for inference time
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	r := rand.New(rand.NewPCG(c.seed.Add(1), 7))
	scores := make([]float64, 3)
	for k := range scores {
		for j, x := range in {
			scores[k] += c.w[k][j] * x
		}
		scores[k] += c.jitter * r.NormFloat64()
	}
	return softmax(scores), nil
}

func softmax(s []float64) []float64 {
	m := math.Max(s[0], math.Max(s[1], s[2]))
	sum := 0.0
	for i := range s {
		s[i] = math.Exp(s[i] - m)
		sum += s[i]
	}
	for i := range s {
		s[i] /= sum
	}
	return s
}

func main() {
	live := &classifier{
		w:      [3][4]float64{{1, -0.5, 0.2, 0}, {-0.3, 1, 0.1, 0.4}, {0.2, 0.3, -1, 0.8}},
		jitter: 0.05,
		cost:   200 * time.Microsecond,
	}
	candidate := &classifier{
		w:    [3][4]float64{{1.1, -0.5, 0.25, 0}, {-0.3, 0.9, 0.1, 0.5}, {0.2, 0.3, -1.1, 0.8}},
		cost: 2 * time.Millisecond, // slower: a bigger model
	}

	plan := strategy.Shadow("live", "candidate")
	plan.NoiseFloor = 20 // mirror 20% of users to live a second time
	drift := shadow.NewDrift(5000)
	top := func(s []float64) float64 { return s[shadow.Argmax(s)] }
	r, err := router.New(router.Config[Input, []float64]{
		Variants:    map[string]router.Predictor[Input, []float64]{"live": live, "candidate": candidate},
		Plan:        plan,
		Compare:     shadow.ArgmaxAgree, // same predicted label
		Shadow:      shadow.Config{MaxInFlight: 16, Timeout: 50 * time.Millisecond},
		ShadowSinks: []shadow.Sink[[]float64]{shadow.DriftSink(drift, "candidate", top)},
	})
	if err != nil {
		log.Fatal(err)
	}

	// 16 concurrent clients send 16,000 requests of simulated traffic.
	const clients, perClient = 16, 1000
	var wg sync.WaitGroup
	var served atomic.Int64
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 2026))
			for i := range perClient {
				var in Input
				for j := range in {
					in[j] = rng.NormFloat64()
				}
				unit := router.Unit{Key: "user-" + strconv.Itoa(c*perClient+i)}
				if _, err := r.Predict(context.Background(), unit, in); err != nil {
					log.Fatal(err)
				}
				served.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := r.Close(context.Background()); err != nil {
		log.Fatal(err)
	}

	rep := r.ShadowReport()
	st := r.ShadowStats()
	fmt.Printf("served %d requests in %v from the live model; the candidate never answered a user\n\n",
		served.Load(), elapsed.Round(time.Millisecond))
	fmt.Printf("shadow pool: %d mirrored calls submitted, %d completed, %d dropped (pool full), %d timed out\n\n",
		st.Submitted, st.Completed, st.Dropped, st.TimedOut)
	cand, _ := rep.Row("live", "candidate")
	noise, _ := rep.Row("live", "live")
	fmt.Printf("%-22s %9s %9s %19s %10s %10s\n", "comparison", "compared", "agreement", "95% interval", "p50", "p99")
	for _, row := range []struct {
		name string
		r    shadow.Row
	}{{"live vs candidate", cand}, {"live vs live (noise)", noise}} {
		fmt.Printf("%-22s %9d %8.2f%% [%6.2f%%, %6.2f%%] %10v %10v\n", row.name, row.r.Answered,
			100*row.r.AgreementRate, 100*row.r.AgreementLow, 100*row.r.AgreementHigh,
			row.r.ShadowLatency.P50.Round(time.Microsecond), row.r.ShadowLatency.P99.Round(time.Microsecond))
	}
	fmt.Printf("%-22s %9s %9s %19s %10v %10v\n", "live (primary)", "", "", "",
		cand.PrimaryLatency.P50.Round(time.Microsecond), cand.PrimaryLatency.P99.Round(time.Microsecond))
	if x := cand.Noise; x != nil {
		fmt.Printf("\ndisagreement beyond the noise floor: %.2f%% [%.2f%%, %.2f%%] — significant: %v\n",
			100*x.Excess, 100*x.Low, 100*x.High, x.Significant())
	}
	fmt.Printf("drift of the top score over the last %d pairs: PSI %.3f, KS %.3f\n", drift.Len(), drift.PSI(10), drift.KS())
}
