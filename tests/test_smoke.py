def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Iniciar sesión" in response.get_data(as_text=True)
