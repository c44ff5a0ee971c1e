package storetest

import (
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

func TestMemory(t *testing.T) {
	Run(t, func(*testing.T) oauth.Store { return Memory() })
}
