package templates

import (
	"html/template"
	"text/template/parse"
)

// literalKeys returns the message keys a page passes to T as string
// literals ({{T "login.title"}}), from every branch of the page and its
// layout. The start-up dry run only sees the branches its empty data
// takes; this finds a key hidden behind {{if}} or {{range}} too.
func literalKeys(t *template.Template) []string {
	var keys []string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			if len(n.Args) == 2 {
				id, isIdent := n.Args[0].(*parse.IdentifierNode)
				key, isString := n.Args[1].(*parse.StringNode)
				if isIdent && isString && id.Ident == "T" {
					keys = append(keys, key.Text)
				}
			}
			for _, a := range n.Args {
				walk(a)
			}
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			walk(tt.Tree.Root)
		}
	}
	return keys
}
