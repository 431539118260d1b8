package callline

import (
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	for _, c := range []Call{
		{ID: "A", Took: 12500 * time.Microsecond},
		{Took: time.Second, Err: "deadline_exceeded: incomplete envelope"},
	} {
		got, ok := Parse(Format(c))
		if !ok || got != c {
			t.Errorf("Parse(Format(%+v)) = %+v, %v", c, got, ok)
		}
	}
	for _, line := range []string{"", "ok", "ok A", "err 1s", "err soon boom", "INFO ok A 1ms", "ok A 1ms extra"} {
		if c, ok := Parse(line); ok {
			t.Errorf("Parse(%q) = %+v, want no call", line, c)
		}
	}
}
