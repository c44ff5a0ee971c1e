package main

import (
	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/dgraph-io/badger/v4"
	_ "github.com/gin-gonic/gin"
	_ "github.com/golang-jwt/jwt/v5"
	_ "golang.org/x/oauth2"
	_ "gopkg.in/yaml.v3"
	_ "gosrc.io/xmpp"
	_ "gosrc.io/xmpp/stanza"
)

func main() {}
