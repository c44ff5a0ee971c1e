package config

import "testing"

func TestOpsValidation(t *testing.T) {
	clearEnv(t)
	tests := []parseCase{
		{"defaults", "", ""},
		{"own listener", "ops: {listen: \"127.0.0.1:8090\"}", ""},
		{"own listener without metrics", "ops: {listen: \"127.0.0.1:8090\", metrics: false}", ""},
		{"all interfaces", "ops: {listen: \":8090\"}", ""},
		{"no port", "ops: {listen: 127.0.0.1}", "ops.listen: \"127.0.0.1\" is not host:port"},
		{"bad port", "ops: {listen: \"127.0.0.1:http-alt\"}", "ops.listen: \"127.0.0.1:http-alt\" has no valid port"},
		{"same as http", "http: {listen: \"127.0.0.1:8080\"}\nops: {listen: \"127.0.0.1:8080\"}", "ops.listen: \"127.0.0.1:8080\" is also http.listen"},
		{"same as ejabberd", "ejabberd: {listen: \"127.0.0.1:8081\", secret: 0123456789abcdef}\nops: {listen: \"127.0.0.1:8081\"}", "ops.listen: \"127.0.0.1:8081\" is also ejabberd.listen"},
		{"both on a port the system picks", "http: {listen: \"127.0.0.1:0\"}\nops: {listen: \"127.0.0.1:0\"}", ""},
		{"unknown key", "ops: {metric: true}", "ops.metric"},
	}
	checkParse(t, tests)
}

func TestOpsDefaults(t *testing.T) {
	clearEnv(t)
	c, err := Parse([]byte("component: {secret: s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Ops != (Ops{Listen: "", Metrics: true}) {
		t.Errorf("default ops = %+v, want no listener and metrics on", c.Ops)
	}
}
