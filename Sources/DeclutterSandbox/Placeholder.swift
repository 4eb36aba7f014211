enum PlaceholderDeclutterSandbox {}
