from safehome import create_app

app = create_app()
