// The wire types (views, states, time formats) are the store's vocabulary too: whoever imports the store sees them.
@_exported import DeclutterWire
