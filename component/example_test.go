package component_test

import (
	"context"
	"encoding/xml"
	"log/slog"
	"os"
	"os/signal"

	"github.com/xmppoauth/xmppoauth/component"
)

// How main wires a command engine and a message handler into the component,
// without the component knowing their packages: payloads travel as raw XML.
func ExampleNew() {
	commands := component.IQHandlerFunc(func(ctx context.Context, iq component.IQ) ([]byte, error) {
		var cmd struct {
			Node   string `xml:"node,attr"`
			Action string `xml:"action,attr"`
		}
		if err := xml.Unmarshal(iq.Payload.XML, &cmd); err != nil {
			return nil, component.NewStanzaError(component.BadRequest, "Malformed command.")
		}
		// … run the command for iq.User, then answer with its XML:
		return []byte(`<command xmlns='http://jabber.org/protocol/commands' node='` + cmd.Node + `' status='completed'/>`), nil
	})

	c := component.New(component.Config{
		Address:     "localhost:5347",
		Domain:      "auth.example.org",
		Secret:      os.Getenv("COMPONENT_SECRET"),
		UserDomains: []string{"example.org"},
		Name:        "Example sign-in",
		Logger:      slog.Default(),
	}, component.Handlers{
		IQ:       map[xml.Name]component.IQHandler{{Space: component.NSCommands, Local: "command"}: commands},
		Features: []string{component.NSDataForms, component.NSHTTPAuth},
		Items: func(ctx context.Context, user, node string) ([]component.DiscoItem, error) {
			if node == component.NSCommands {
				return []component.DiscoItem{{Node: "list-apps", Name: "List my apps"}}, nil
			}
			return nil, nil
		},
		Message: component.MessageHandlerFunc(func(ctx context.Context, m component.Message) error {
			if m.Confirm != nil && m.Type == "error" {
				slog.InfoContext(ctx, "request denied", "jid", m.User, "id", m.Confirm.ID)
			}
			return nil
		}),
	})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := c.Run(ctx); err != nil {
		slog.Error("component", "err", err)
	}
}
