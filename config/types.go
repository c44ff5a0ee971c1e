package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in YAML as a Go duration string such as
// "90s", "10m" or "720h". A bare number is rejected rather than read as
// nanoseconds.
type Duration time.Duration

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func parseDuration(n *yaml.Node) (time.Duration, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, errors.New(`want a duration such as "10m"`)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return 0, fmt.Errorf(`%q is not a duration such as "10m" or "720h"`, n.Value)
	}
	return v, nil
}

// Rate is Count events per Window, written in YAML as "5/1m".
type Rate struct {
	// Count is how many events are allowed per Window.
	Count int
	// Window is the length of the fixed window the events are counted in.
	Window time.Duration
}

// String formats r as "count/window".
func (r Rate) String() string { return strconv.Itoa(r.Count) + "/" + r.Window.String() }

// UnmarshalYAML implements yaml.Unmarshaler.
func (r *Rate) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New(`want a rate such as "5/1m"`)
	}
	count, window, ok := strings.Cut(n.Value, "/")
	c, err := strconv.Atoi(strings.TrimSpace(count))
	if !ok || err != nil {
		return fmt.Errorf(`%q is not a rate such as "5/1m" (count/duration)`, n.Value)
	}
	w, err := time.ParseDuration(strings.TrimSpace(window))
	if err != nil {
		return fmt.Errorf(`%q is not a rate such as "5/1m": %q is not a duration`, n.Value, window)
	}
	*r = Rate{Count: c, Window: w}
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (r Rate) MarshalYAML() (any, error) { return r.String(), nil }
