package env_test

import (
	"testing"
)

import (
	"github.com/dubbo-health/health/internal/env"
)

func TestSwitch(t *testing.T) {
	const name = "DUBBO_HEALTH_TEST_SWITCH"
	tests := []struct {
		value string
		set   bool
		def   bool
		want  bool
	}{
		{set: false, def: true, want: true},
		{set: false, def: false, want: false},
		{value: "", set: true, def: true, want: true},
		{value: "false", set: true, def: true, want: false},
		{value: " off", set: true, def: true, want: false},
		{value: "OFF", set: true, def: true, want: false},
		{value: "0", set: true, def: true, want: false},
		{value: "no", set: true, def: true, want: false},
		{value: "disabled", set: true, def: true, want: false},
		{value: "Disable", set: true, def: true, want: false},
		{value: "true", set: true, def: false, want: true},
		{value: "ON ", set: true, def: false, want: true},
		{value: "enabled", set: true, def: false, want: true},
		{value: "1", set: true, def: false, want: true},
		{value: "maybe", set: true, def: true, want: true},
		{value: "maybe", set: true, def: false, want: false},
		{value: "nope", set: true, def: true, want: true},
	}
	for _, tt := range tests {
		if tt.set {
			t.Setenv(name, tt.value)
		}
		if got := env.Switch(name, tt.def); got != tt.want {
			t.Errorf("%s=%q (set %v), default %v: got %v, want %v", name, tt.value, tt.set, tt.def, got, tt.want)
		}
	}
}
