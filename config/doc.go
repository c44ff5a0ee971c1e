// Package config loads xmppoauth's YAML configuration file.
//
// [Load] reads a file and [Parse] reads bytes; both start from [Default],
// decode the YAML on top of it with gopkg.in/yaml.v3 (unknown keys are an
// error, so a misspelt key stops start-up instead of being ignored), take
// secrets from the environment or from files, and run [Config.Validate].
// Every problem names its key as a dotted path and, when the key came from the
// file, its line:
//
//	config.yaml:7: tokens.access_token_ttl: must be between 1m0s and 24h0m0s, got 48h0m0s
//
// Secrets never have to be written into the file. For each of them an
// environment variable wins over a file named by a *_file key, which wins over
// the value in the YAML itself:
//
//	component.secret                    XMPPOAUTH_COMPONENT_SECRET, component.secret_file
//	registration.initial_access_tokens  XMPPOAUTH_INITIAL_ACCESS_TOKEN, registration.initial_access_tokens_file
//	resource_servers[i].secret          XMPPOAUTH_RESOURCE_SERVER_<ID>_SECRET, resource_servers[i].secret_file
//	web.session.secret                  XMPPOAUTH_SESSION_SECRET, web.session.secret_file
//	ejabberd.secret                     XMPPOAUTH_EJABBERD_SECRET, ejabberd.secret_file
//
// The package knows the options of the other packages only as plain values;
// [Config.OAuthConfig] maps them onto [oauth.Config] for main. The shipped
// config.yaml at the repository root documents every key.
package config
