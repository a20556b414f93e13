//! Every visitor-facing string of the widget, in each language it speaks. The widget is built
//! with English alone; the edge sends it another language's strings when the visitor's browser
//! or words call for it (`GET /api/texts/{lang}`), so no visitor downloads eleven languages they
//! do not read.

use serde_json::{Map, Value};

use crate::read_json::Fields;
use crate::texts::{english, fill, primary};

/// Declares [`Texts`] and its JSON form from one list of fields, so the edge's writer and the
/// widget's reader cannot disagree on a name.
macro_rules! texts {
    ($($(#[$doc:meta])* $vis:vis $field:ident,)*) => {
        /// One language's strings. `{name}` in a template is replaced by a display name.
        #[derive(Debug, PartialEq, Eq)]
        pub struct Texts {
            /// The primary language subtag (`en`, `pt`).
            pub code: &'static str,
            pub rtl: bool,
            $($(#[$doc])* $vis $field: &'static str,)*
        }

        impl Texts {
            /// What the edge sends the widget.
            pub fn to_json(&self) -> Value {
                let mut all = Map::new();
                all.insert("code".into(), self.code.into());
                all.insert("rtl".into(), self.rtl.into());
                $(all.insert(stringify!($field).into(), self.$field.into());)*
                Value::Object(all)
            }

            /// The widget's reading of [`Texts::to_json`]: `None` unless it names a language
            /// the widget speaks and its direction. A string it lacks is the English one: a
            /// cached answer from before a deploy that added a string still serves the rest.
            /// The strings are kept for the page's life (a few KB for each language loaded, at
            /// most once each), which lets every view borrow them as the built-in English.
            pub fn read(value: crate::json::Json) -> Option<Texts> {
                let mut f = Fields::of(value)?;
                let code = f.string("code")?;
                let code = *CODES.iter().find(|c| **c == code)?;
                let rtl = f.bool("rtl")?;
                $(let $field = kept(&mut f, stringify!($field), ENGLISH.$field);)*
                Some(Texts { code, rtl, $($field,)* })
            }
        }
    };
}

/// One string of an answer, kept for the page's life; `english` when the answer lacks it. Not
/// inlined: [`Texts::read`] calls it once per string, and every visitor downloads the calls.
#[inline(never)]
fn kept(f: &mut Fields, name: &str, english: &'static str) -> &'static str {
    f.string(name).map_or(english, |s| Box::leak(s.into_boxed_str()))
}

texts! {
    /// The assistant's first words when the chat opens (the owner may reword it).
    pub greeting,
    /// Names the questions offered under the greeting, for screen readers.
    pub suggested,
    pub open_chat,
    pub close,
    /// Hides the card with the newest reply above the launcher.
    pub hide,
    pub assistant,
    pub talk_to_human,
    pub waiting,
    pub with_human,
    pub reconnecting,
    pub placeholder,
    pub send,
    pub ai_resumed,
    pub ended,
    /// Closed for being idle, with the way back.
    pub idle_closed,
    pub new_conversation,
    pub you_asked,
    pub handed_over,
    pub thinking,
    pub cannot_start,
    pub sending,
    pub too_long,
    pub slow_down,
    pub bad_email,
    pub failed,
    pub out_of_hours,
    /// Within hours, nobody on the team available: above the contact form.
    pub nobody_available,
    /// Templates: `{day}` ("tomorrow", "Monday") and `{time}` as the visitor's locale writes them.
    back_at,
    /// Template: `{wait}` ("3 minutes").
    usual_wait,
    /// Closes the contact form to go on with the assistant.
    pub keep_chatting,
    /// Templates: `{name}` is the agent's; `{n}` a score.
    rate_prompt,
    rate_star,
    pub rate_comment,
    pub rate_send,
    pub rate_skip,
    rated,
    pub unclaimed,
    pub message_left,
    pub you_left_message,
    pub name_label,
    pub email_label,
    pub message_label,
    /// Templates: `{name}` is the agent's.
    pub joined,
    pub left,
    typing,
    /// While waiting for a person: asks for an email, so the team can reply after the visitor
    /// leaves.
    pub email_ask,
    pub email_save,
    /// Template: `{email}`.
    email_saved,
    pub email_change,
    /// The mailed link back into the chat no longer opens it.
    pub link_spent,
}

/// The languages there are strings for, English first.
pub const CODES: [&str; 12] =
    ["en", "es", "fr", "de", "pt", "it", "nl", "pl", "tr", "ja", "zh", "ar"];

impl Texts {
    /// What a refusal means for the visitor.
    pub fn refusal(&self, code: crate::protocol::ErrorCode) -> &'static str {
        use crate::protocol::ErrorCode as E;
        match code {
            E::MessageTooLong => self.too_long,
            E::RateLimited => self.slow_down,
            E::InvalidProfile => self.bad_email,
            E::ConversationEnded => self.ended,
            _ => self.failed,
        }
    }

    pub fn typing(&self, name: &str) -> String {
        fill(self.typing, name)
    }

    pub fn back_at(&self, day: &str, time: &str) -> String {
        self.back_at.replace("{day}", day).replace("{time}", time)
    }

    pub fn rate_prompt(&self, name: &str) -> String {
        fill(self.rate_prompt, name)
    }

    pub fn rate_star(&self, n: u8) -> String {
        self.rate_star.replace("{n}", &n.to_string())
    }

    pub fn rated(&self, n: u8) -> String {
        self.rated.replace("{n}", &n.to_string())
    }

    pub fn email_saved(&self, email: &str) -> String {
        self.email_saved.replace("{email}", email)
    }

    pub fn usual_wait(&self, wait: &str) -> String {
        self.usual_wait.replace("{wait}", wait)
    }
}

/// The strings for a BCP 47 tag such as `pt-BR`, by its primary subtag; English otherwise.
pub fn for_tag(tag: &str) -> &'static Texts {
    let primary = primary(tag);
    TRANSLATIONS.iter().find(|t| t.code == primary).unwrap_or(&ENGLISH)
}

pub const ENGLISH: Texts = Texts {
    code: "en",
    rtl: false,
    greeting: english::GREETING,
    suggested: "Suggested questions",
    open_chat: "Open chat",
    close: "Close chat",
    hide: "Hide",
    assistant: "AI assistant",
    talk_to_human: "Talk to a human",
    waiting: english::HANDOVER,
    with_human: "You're now chatting with a human",
    reconnecting: "Reconnecting…",
    placeholder: "Type your message…",
    send: "Send",
    ai_resumed: "AI resumed",
    ended: "This conversation has ended",
    idle_closed: "Closed after a quiet while. Write here to pick it up again.",
    new_conversation: "Start a new conversation",
    you_asked: "You asked for a person",
    handed_over: "The assistant asked a person to help",
    thinking: "The assistant is typing…",
    cannot_start: "The chat could not start. Please try again later.",
    sending: "Sending…",
    too_long: "Your message is too long.",
    slow_down: "You're sending messages very fast. Please wait a moment.",
    bad_email: "That email address does not look right.",
    failed: "Something went wrong. Please try again.",
    out_of_hours: english::OUT_OF_HOURS,
    nobody_available: "Nobody from the team is available right now. Leave your name, email and message, and we'll reply by email.",
    back_at: "We're back {day} at {time}.",
    usual_wait: "Usually answered within {wait}.",
    keep_chatting: "Back to the chat",
    rate_prompt: "How was your chat with {name}?",
    rate_star: "{n} of 5",
    rate_comment: "Anything to add? (optional)",
    rate_send: "Send rating",
    rate_skip: "No thanks",
    rated: "You rated this chat {n}/5. Thank you!",
    unclaimed: english::UNCLAIMED,
    message_left: "Thanks! Your message is with the team, and they'll reply by email.",
    you_left_message: "You left a message for the team",
    name_label: "Your name",
    email_label: "Email",
    message_label: "Message",
    joined: english::JOINED,
    left: english::LEFT,
    typing: "{name} is typing…",
    email_ask: "Leave your email so we can reply if you leave.",
    email_save: "Save",
    email_saved: "We'll email you at {email} if you leave before we reply.",
    email_change: "Change",
    link_spent: "This link has expired. You can start a new chat here.",
};

/// Every language but English, in the order of [`CODES`].
pub const TRANSLATIONS: [Texts; 11] = [
    Texts {
        code: "es",
        rtl: false,
        greeting: "¡Hola! ¿En qué podemos ayudarte hoy?",
        suggested: "Preguntas sugeridas",
        open_chat: "Abrir chat",
        close: "Cerrar chat",
        hide: "Ocultar",
        assistant: "Asistente de IA",
        talk_to_human: "Hablar con una persona",
        waiting: "Esperando a que se una un agente de soporte",
        with_human: "Ahora estás hablando con una persona",
        reconnecting: "Reconectando…",
        placeholder: "Escribe tu mensaje…",
        send: "Enviar",
        ai_resumed: "La IA ha vuelto",
        ended: "Esta conversación ha terminado",
        idle_closed: "Cerrada tras un rato sin actividad. Escribe aquí para retomarla.",
        new_conversation: "Iniciar una nueva conversación",
        you_asked: "Pediste hablar con una persona",
        handed_over: "El asistente pidió ayuda a una persona",
        thinking: "El asistente está escribiendo…",
        cannot_start: "No se pudo iniciar el chat. Inténtalo más tarde.",
        sending: "Enviando…",
        too_long: "Tu mensaje es demasiado largo.",
        slow_down: "Estás enviando mensajes muy rápido. Espera un momento.",
        bad_email: "Esa dirección de correo no parece correcta.",
        failed: "Algo salió mal. Inténtalo de nuevo.",
        out_of_hours: "Ahora no estamos disponibles. Déjanos tu nombre, correo y mensaje, y te responderemos por correo.",
        nobody_available: "Ahora no hay nadie del equipo disponible. Déjanos tu nombre, correo y mensaje, y te responderemos por correo.",
        back_at: "Volvemos: {day}, {time}.",
        usual_wait: "Tiempo habitual de respuesta: {wait}.",
        keep_chatting: "Volver al chat",
        rate_prompt: "¿Qué tal tu chat con {name}?",
        rate_star: "{n} de 5",
        rate_comment: "¿Algo que añadir? (opcional)",
        rate_send: "Enviar valoración",
        rate_skip: "No, gracias",
        rated: "Valoraste este chat con {n}/5. ¡Gracias!",
        unclaimed: "Nadie del equipo pudo unirse ahora. El asistente vuelve a ayudarte y puedes pedir una persona más tarde.",
        message_left: "¡Gracias! Tu mensaje está con el equipo y te responderán por correo.",
        you_left_message: "Dejaste un mensaje para el equipo",
        name_label: "Tu nombre",
        email_label: "Correo electrónico",
        message_label: "Mensaje",
        joined: "{name} se unió a la conversación",
        left: "{name} salió de la conversación",
        typing: "{name} está escribiendo…",
        email_ask: "Deja tu correo para que podamos responderte si te vas.",
        email_save: "Guardar",
        email_saved: "Te escribiremos a {email} si te vas antes de que respondamos.",
        email_change: "Cambiar",
        link_spent: "Este enlace ha caducado. Puedes empezar un chat nuevo aquí.",
    },
    Texts {
        code: "fr",
        rtl: false,
        greeting: "Bonjour ! Comment pouvons-nous vous aider aujourd’hui ?",
        suggested: "Questions suggérées",
        open_chat: "Ouvrir le chat",
        close: "Fermer le chat",
        hide: "Masquer",
        assistant: "Assistant IA",
        talk_to_human: "Parler à un humain",
        waiting: "En attente d'un agent du support",
        with_human: "Vous discutez maintenant avec un humain",
        reconnecting: "Reconnexion…",
        placeholder: "Écrivez votre message…",
        send: "Envoyer",
        ai_resumed: "L'IA a repris",
        ended: "Cette conversation est terminée",
        idle_closed: "Fermée après un moment d'inactivité. Écrivez ici pour la reprendre.",
        new_conversation: "Démarrer une nouvelle conversation",
        you_asked: "Vous avez demandé une personne",
        handed_over: "L'assistant a demandé l'aide d'une personne",
        thinking: "L'assistant écrit…",
        cannot_start: "Le chat n'a pas pu démarrer. Réessayez plus tard.",
        sending: "Envoi…",
        too_long: "Votre message est trop long.",
        slow_down: "Vous envoyez des messages très vite. Patientez un instant.",
        bad_email: "Cette adresse e-mail ne semble pas correcte.",
        failed: "Un problème est survenu. Réessayez.",
        out_of_hours: "Nous sommes absents pour le moment. Laissez votre nom, votre e-mail et votre message : nous vous répondrons par e-mail.",
        nobody_available: "Personne de l'équipe n'est disponible pour le moment. Laissez votre nom, votre e-mail et votre message : nous vous répondrons par e-mail.",
        back_at: "De retour : {day}, {time}.",
        usual_wait: "Délai de réponse habituel : {wait}.",
        keep_chatting: "Revenir à la discussion",
        rate_prompt: "Comment s'est passé votre échange avec {name} ?",
        rate_star: "{n} sur 5",
        rate_comment: "Quelque chose à ajouter ? (facultatif)",
        rate_send: "Envoyer la note",
        rate_skip: "Non merci",
        rated: "Vous avez noté cette discussion {n}/5. Merci !",
        unclaimed: "Personne de l'équipe n'a pu se joindre pour l'instant. L'assistant reprend, et vous pourrez redemander une personne plus tard.",
        message_left: "Merci ! Votre message a été transmis à l'équipe, qui vous répondra par e-mail.",
        you_left_message: "Vous avez laissé un message à l'équipe",
        name_label: "Votre nom",
        email_label: "E-mail",
        message_label: "Message",
        joined: "{name} a rejoint la conversation",
        left: "{name} a quitté la conversation",
        typing: "{name} écrit…",
        email_ask: "Laissez votre e-mail pour que nous puissions vous répondre si vous partez.",
        email_save: "Enregistrer",
        email_saved: "Nous vous écrirons à {email} si vous partez avant notre réponse.",
        email_change: "Modifier",
        link_spent: "Ce lien a expiré. Vous pouvez commencer une nouvelle discussion ici.",
    },
    Texts {
        code: "de",
        rtl: false,
        greeting: "Hallo! Wie können wir Ihnen heute helfen?",
        suggested: "Vorgeschlagene Fragen",
        open_chat: "Chat öffnen",
        close: "Chat schließen",
        hide: "Ausblenden",
        assistant: "KI-Assistent",
        talk_to_human: "Mit einem Menschen sprechen",
        waiting: "Warten auf einen Support-Mitarbeiter",
        with_human: "Sie chatten jetzt mit einem Menschen",
        reconnecting: "Verbindung wird wiederhergestellt…",
        placeholder: "Nachricht eingeben…",
        send: "Senden",
        ai_resumed: "KI übernimmt wieder",
        ended: "Dieses Gespräch ist beendet",
        idle_closed: "Nach einer ruhigen Weile geschlossen. Schreiben Sie hier, um weiterzumachen.",
        new_conversation: "Neues Gespräch beginnen",
        you_asked: "Sie haben nach einem Menschen gefragt",
        handed_over: "Der Assistent hat einen Menschen um Hilfe gebeten",
        thinking: "Der Assistent schreibt…",
        cannot_start: "Der Chat konnte nicht starten. Bitte später erneut versuchen.",
        sending: "Wird gesendet…",
        too_long: "Ihre Nachricht ist zu lang.",
        slow_down: "Sie senden sehr schnell Nachrichten. Bitte warten Sie kurz.",
        bad_email: "Diese E-Mail-Adresse scheint nicht zu stimmen.",
        failed: "Etwas ist schiefgelaufen. Bitte erneut versuchen.",
        out_of_hours: "Wir sind gerade nicht erreichbar. Hinterlassen Sie Namen, E-Mail und Nachricht, wir antworten per E-Mail.",
        nobody_available: "Gerade ist niemand aus dem Team erreichbar. Hinterlassen Sie Namen, E-Mail und Nachricht, wir antworten per E-Mail.",
        back_at: "Wieder da: {day}, {time}.",
        usual_wait: "Übliche Antwortzeit: {wait}.",
        keep_chatting: "Zurück zum Chat",
        rate_prompt: "Wie war Ihr Chat mit {name}?",
        rate_star: "{n} von 5",
        rate_comment: "Möchten Sie etwas ergänzen? (optional)",
        rate_send: "Bewertung senden",
        rate_skip: "Nein danke",
        rated: "Sie haben diesen Chat mit {n}/5 bewertet. Danke!",
        unclaimed: "Gerade konnte niemand aus dem Team beitreten. Der Assistent hilft wieder weiter; Sie können später erneut nach einem Menschen fragen.",
        message_left: "Danke! Ihre Nachricht liegt beim Team, es antwortet Ihnen per E-Mail.",
        you_left_message: "Sie haben dem Team eine Nachricht hinterlassen",
        name_label: "Ihr Name",
        email_label: "E-Mail",
        message_label: "Nachricht",
        joined: "{name} ist dem Gespräch beigetreten",
        left: "{name} hat das Gespräch verlassen",
        typing: "{name} schreibt…",
        email_ask: "Hinterlassen Sie Ihre E-Mail, damit wir antworten können, falls Sie gehen.",
        email_save: "Speichern",
        email_saved: "Wir schreiben Ihnen an {email}, falls Sie vor unserer Antwort gehen.",
        email_change: "Ändern",
        link_spent: "Dieser Link ist abgelaufen. Sie können hier einen neuen Chat beginnen.",
    },
    Texts {
        code: "pt",
        rtl: false,
        greeting: "Olá! Como podemos ajudar hoje?",
        suggested: "Perguntas sugeridas",
        open_chat: "Abrir chat",
        close: "Fechar chat",
        hide: "Ocultar",
        assistant: "Assistente de IA",
        talk_to_human: "Falar com uma pessoa",
        waiting: "Aguardando um agente de suporte",
        with_human: "Agora você está conversando com uma pessoa",
        reconnecting: "Reconectando…",
        placeholder: "Digite sua mensagem…",
        send: "Enviar",
        ai_resumed: "A IA voltou",
        ended: "Esta conversa foi encerrada",
        idle_closed: "Encerrada após um tempo sem atividade. Escreva aqui para retomá-la.",
        new_conversation: "Iniciar uma nova conversa",
        you_asked: "Você pediu para falar com uma pessoa",
        handed_over: "O assistente pediu ajuda a uma pessoa",
        thinking: "O assistente está digitando…",
        cannot_start: "Não foi possível iniciar o chat. Tente novamente mais tarde.",
        sending: "Enviando…",
        too_long: "Sua mensagem é muito longa.",
        slow_down: "Você está enviando mensagens muito rápido. Aguarde um momento.",
        bad_email: "Esse endereço de e-mail não parece correto.",
        failed: "Algo deu errado. Tente novamente.",
        out_of_hours: "Estamos ausentes agora. Deixe seu nome, e-mail e mensagem, e responderemos por e-mail.",
        nobody_available: "Ninguém da equipe está disponível agora. Deixe seu nome, e-mail e mensagem, e responderemos por e-mail.",
        back_at: "Voltamos: {day}, {time}.",
        usual_wait: "Tempo habitual de resposta: {wait}.",
        keep_chatting: "Voltar ao chat",
        rate_prompt: "Como foi sua conversa com {name}?",
        rate_star: "{n} de 5",
        rate_comment: "Algo a acrescentar? (opcional)",
        rate_send: "Enviar avaliação",
        rate_skip: "Não, obrigado",
        rated: "Você avaliou esta conversa com {n}/5. Obrigado!",
        unclaimed: "Ninguém da equipe pôde entrar agora. O assistente volta a ajudar, e você pode pedir uma pessoa novamente mais tarde.",
        message_left: "Obrigado! Sua mensagem está com a equipe, que responderá por e-mail.",
        you_left_message: "Você deixou uma mensagem para a equipe",
        name_label: "Seu nome",
        email_label: "E-mail",
        message_label: "Mensagem",
        joined: "{name} entrou na conversa",
        left: "{name} saiu da conversa",
        typing: "{name} está digitando…",
        email_ask: "Deixe seu e-mail para podermos responder se você sair.",
        email_save: "Salvar",
        email_saved: "Escreveremos para {email} se você sair antes da nossa resposta.",
        email_change: "Alterar",
        link_spent: "Este link expirou. Você pode começar uma nova conversa aqui.",
    },
    Texts {
        code: "it",
        rtl: false,
        greeting: "Ciao! Come possiamo aiutarti oggi?",
        suggested: "Domande suggerite",
        open_chat: "Apri la chat",
        close: "Chiudi la chat",
        hide: "Nascondi",
        assistant: "Assistente IA",
        talk_to_human: "Parla con una persona",
        waiting: "In attesa di un operatore dell'assistenza",
        with_human: "Ora stai chattando con una persona",
        reconnecting: "Riconnessione…",
        placeholder: "Scrivi il tuo messaggio…",
        send: "Invia",
        ai_resumed: "L'IA ha ripreso",
        ended: "Questa conversazione è terminata",
        idle_closed: "Chiusa dopo un periodo di inattività. Scrivi qui per riprenderla.",
        new_conversation: "Inizia una nuova conversazione",
        you_asked: "Hai chiesto di parlare con una persona",
        handed_over: "L'assistente ha chiesto aiuto a una persona",
        thinking: "L'assistente sta scrivendo…",
        cannot_start: "Impossibile avviare la chat. Riprova più tardi.",
        sending: "Invio…",
        too_long: "Il tuo messaggio è troppo lungo.",
        slow_down: "Stai inviando messaggi molto velocemente. Attendi un momento.",
        bad_email: "Questo indirizzo email non sembra corretto.",
        failed: "Qualcosa è andato storto. Riprova.",
        out_of_hours: "Al momento non siamo disponibili. Lascia nome, email e messaggio: ti risponderemo via email.",
        nobody_available: "Al momento nessuno del team è disponibile. Lascia nome, email e messaggio: ti risponderemo via email.",
        back_at: "Di nuovo disponibili: {day}, {time}.",
        usual_wait: "Tempo di risposta abituale: {wait}.",
        keep_chatting: "Torna alla chat",
        rate_prompt: "Com'è andata la chat con {name}?",
        rate_star: "{n} su 5",
        rate_comment: "Vuoi aggiungere qualcosa? (facoltativo)",
        rate_send: "Invia valutazione",
        rate_skip: "No, grazie",
        rated: "Hai valutato questa chat {n}/5. Grazie!",
        unclaimed: "Nessuno del team ha potuto unirsi ora. L'assistente torna ad aiutarti e potrai chiedere di nuovo una persona più tardi.",
        message_left: "Grazie! Il tuo messaggio è arrivato al team, che ti risponderà via email.",
        you_left_message: "Hai lasciato un messaggio al team",
        name_label: "Il tuo nome",
        email_label: "Email",
        message_label: "Messaggio",
        joined: "{name} si è unito alla conversazione",
        left: "{name} ha lasciato la conversazione",
        typing: "{name} sta scrivendo…",
        email_ask: "Lascia la tua email così possiamo risponderti se te ne vai.",
        email_save: "Salva",
        email_saved: "Ti scriveremo a {email} se te ne vai prima della nostra risposta.",
        email_change: "Cambia",
        link_spent: "Questo link è scaduto. Puoi iniziare una nuova chat qui.",
    },
    Texts {
        code: "nl",
        rtl: false,
        greeting: "Hallo! Waarmee kunnen we je vandaag helpen?",
        suggested: "Voorgestelde vragen",
        open_chat: "Chat openen",
        close: "Chat sluiten",
        hide: "Verbergen",
        assistant: "AI-assistent",
        talk_to_human: "Praat met een mens",
        waiting: "Wachten tot een supportmedewerker meedoet",
        with_human: "Je chat nu met een mens",
        reconnecting: "Opnieuw verbinden…",
        placeholder: "Typ je bericht…",
        send: "Versturen",
        ai_resumed: "AI neemt het weer over",
        ended: "Dit gesprek is beëindigd",
        idle_closed: "Gesloten na een tijd zonder activiteit. Schrijf hier om verder te gaan.",
        new_conversation: "Nieuw gesprek starten",
        you_asked: "Je hebt om een mens gevraagd",
        handed_over: "De assistent heeft een mens om hulp gevraagd",
        thinking: "De assistent typt…",
        cannot_start: "De chat kon niet starten. Probeer het later opnieuw.",
        sending: "Versturen…",
        too_long: "Je bericht is te lang.",
        slow_down: "Je verstuurt erg snel berichten. Wacht even.",
        bad_email: "Dat e-mailadres lijkt niet te kloppen.",
        failed: "Er ging iets mis. Probeer het opnieuw.",
        out_of_hours: "We zijn er nu niet. Laat je naam, e-mail en bericht achter, dan antwoorden we per e-mail.",
        nobody_available: "Er is nu niemand van het team beschikbaar. Laat je naam, e-mail en bericht achter, dan antwoorden we per e-mail.",
        back_at: "Weer bereikbaar: {day}, {time}.",
        usual_wait: "Gebruikelijke reactietijd: {wait}.",
        keep_chatting: "Terug naar de chat",
        rate_prompt: "Hoe was je chat met {name}?",
        rate_star: "{n} van 5",
        rate_comment: "Nog iets toe te voegen? (optioneel)",
        rate_send: "Beoordeling versturen",
        rate_skip: "Nee, bedankt",
        rated: "Je gaf deze chat {n}/5. Bedankt!",
        unclaimed: "Er kon nu niemand van het team meedoen. De assistent helpt weer verder; je kunt later opnieuw om een mens vragen.",
        message_left: "Bedankt! Je bericht ligt bij het team, dat per e-mail antwoordt.",
        you_left_message: "Je hebt een bericht achtergelaten voor het team",
        name_label: "Je naam",
        email_label: "E-mail",
        message_label: "Bericht",
        joined: "{name} neemt deel aan het gesprek",
        left: "{name} heeft het gesprek verlaten",
        typing: "{name} typt…",
        email_ask: "Laat je e-mailadres achter, dan kunnen we antwoorden als je weggaat.",
        email_save: "Opslaan",
        email_saved: "We mailen je op {email} als je weggaat voordat we antwoorden.",
        email_change: "Wijzigen",
        link_spent: "Deze link is verlopen. Je kunt hier een nieuwe chat beginnen.",
    },
    Texts {
        code: "pl",
        rtl: false,
        greeting: "Cześć! W czym możemy dziś pomóc?",
        suggested: "Sugerowane pytania",
        open_chat: "Otwórz czat",
        close: "Zamknij czat",
        hide: "Ukryj",
        assistant: "Asystent AI",
        talk_to_human: "Porozmawiaj z człowiekiem",
        waiting: "Czekamy, aż dołączy konsultant",
        with_human: "Rozmawiasz teraz z człowiekiem",
        reconnecting: "Ponowne łączenie…",
        placeholder: "Wpisz wiadomość…",
        send: "Wyślij",
        ai_resumed: "AI wznowiła rozmowę",
        ended: "Ta rozmowa została zakończona",
        idle_closed: "Zamknięta po dłuższej ciszy. Napisz tutaj, aby ją wznowić.",
        new_conversation: "Rozpocznij nową rozmowę",
        you_asked: "Poprosiłeś o rozmowę z człowiekiem",
        handed_over: "Asystent poprosił człowieka o pomoc",
        thinking: "Asystent pisze…",
        cannot_start: "Nie udało się uruchomić czatu. Spróbuj ponownie później.",
        sending: "Wysyłanie…",
        too_long: "Twoja wiadomość jest za długa.",
        slow_down: "Wysyłasz wiadomości bardzo szybko. Poczekaj chwilę.",
        bad_email: "Ten adres e-mail wygląda na niepoprawny.",
        failed: "Coś poszło nie tak. Spróbuj ponownie.",
        out_of_hours: "Jesteśmy teraz niedostępni. Zostaw imię, e-mail i wiadomość, a odpowiemy e-mailem.",
        nobody_available: "Nikt z zespołu nie jest teraz dostępny. Zostaw imię, e-mail i wiadomość, a odpowiemy e-mailem.",
        back_at: "Wracamy: {day}, {time}.",
        usual_wait: "Typowy czas odpowiedzi: {wait}.",
        keep_chatting: "Wróć do czatu",
        rate_prompt: "Jak oceniasz tę rozmowę?",
        rate_star: "{n} z 5",
        rate_comment: "Chcesz coś dodać? (opcjonalnie)",
        rate_send: "Wyślij ocenę",
        rate_skip: "Nie, dziękuję",
        rated: "Oceniono tę rozmowę na {n}/5. Dziękujemy!",
        unclaimed: "Nikt z zespołu nie mógł teraz dołączyć. Asystent znów pomaga, a o człowieka możesz poprosić później.",
        message_left: "Dziękujemy! Twoja wiadomość trafiła do zespołu, który odpowie e-mailem.",
        you_left_message: "Zostawiłeś wiadomość dla zespołu",
        name_label: "Twoje imię",
        email_label: "E-mail",
        message_label: "Wiadomość",
        joined: "{name} dołącza do rozmowy",
        left: "{name} opuszcza rozmowę",
        typing: "{name} pisze…",
        email_ask: "Zostaw e-mail, abyśmy mogli odpowiedzieć, jeśli wyjdziesz.",
        email_save: "Zapisz",
        email_saved: "Napiszemy na {email}, jeśli wyjdziesz przed naszą odpowiedzią.",
        email_change: "Zmień",
        link_spent: "Ten link wygasł. Możesz tu rozpocząć nowy czat.",
    },
    Texts {
        code: "tr",
        rtl: false,
        greeting: "Merhaba! Bugün size nasıl yardımcı olabiliriz?",
        suggested: "Önerilen sorular",
        open_chat: "Sohbeti aç",
        close: "Sohbeti kapat",
        hide: "Gizle",
        assistant: "Yapay zekâ asistanı",
        talk_to_human: "Bir insanla konuş",
        waiting: "Destek temsilcisinin katılması bekleniyor",
        with_human: "Artık bir insanla sohbet ediyorsunuz",
        reconnecting: "Yeniden bağlanılıyor…",
        placeholder: "Mesajınızı yazın…",
        send: "Gönder",
        ai_resumed: "Yapay zekâ devam ediyor",
        ended: "Bu sohbet sona erdi",
        idle_closed: "Bir süre hareketsiz kaldığı için kapatıldı. Devam etmek için buraya yazın.",
        new_conversation: "Yeni bir sohbet başlat",
        you_asked: "Bir insanla konuşmak istediniz",
        handed_over: "Asistan bir insandan yardım istedi",
        thinking: "Asistan yazıyor…",
        cannot_start: "Sohbet başlatılamadı. Lütfen daha sonra tekrar deneyin.",
        sending: "Gönderiliyor…",
        too_long: "Mesajınız çok uzun.",
        slow_down: "Çok hızlı mesaj gönderiyorsunuz. Lütfen biraz bekleyin.",
        bad_email: "Bu e-posta adresi doğru görünmüyor.",
        failed: "Bir şeyler ters gitti. Lütfen tekrar deneyin.",
        out_of_hours: "Şu anda ulaşılamıyoruz. Adınızı, e-postanızı ve mesajınızı bırakın, size e-postayla yanıt verelim.",
        nobody_available: "Şu anda ekipten kimse müsait değil. Adınızı, e-postanızı ve mesajınızı bırakın, size e-postayla yanıt verelim.",
        back_at: "Tekrar buradayız: {day}, {time}.",
        usual_wait: "Genellikle yanıt süresi: {wait}.",
        keep_chatting: "Sohbete dön",
        rate_prompt: "{name} ile sohbetiniz nasıldı?",
        rate_star: "5 üzerinden {n}",
        rate_comment: "Eklemek istediğiniz bir şey var mı? (isteğe bağlı)",
        rate_send: "Puanı gönder",
        rate_skip: "Hayır, teşekkürler",
        rated: "Bu sohbete {n}/5 puan verdiniz. Teşekkürler!",
        unclaimed: "Şu anda ekipten kimse katılamadı. Asistan yeniden yardımcı oluyor; daha sonra tekrar bir kişi isteyebilirsiniz.",
        message_left: "Teşekkürler! Mesajınız ekibe iletildi, size e-postayla yanıt verecekler.",
        you_left_message: "Ekibe bir mesaj bıraktınız",
        name_label: "Adınız",
        email_label: "E-posta",
        message_label: "Mesaj",
        joined: "{name} sohbete katıldı",
        left: "{name} sohbetten ayrıldı",
        typing: "{name} yazıyor…",
        email_ask: "Ayrılırsanız yanıt verebilmemiz için e-postanızı bırakın.",
        email_save: "Kaydet",
        email_saved: "Yanıtımızdan önce ayrılırsanız {email} adresine yazacağız.",
        email_change: "Değiştir",
        link_spent: "Bu bağlantının süresi doldu. Burada yeni bir sohbet başlatabilirsiniz.",
    },
    Texts {
        code: "ja",
        rtl: false,
        greeting: "こんにちは！どのようなご用件でしょうか？",
        suggested: "よくある質問",
        open_chat: "チャットを開く",
        close: "チャットを閉じる",
        hide: "非表示",
        assistant: "AIアシスタント",
        talk_to_human: "担当者と話す",
        waiting: "サポート担当者の参加を待っています",
        with_human: "担当者とチャット中です",
        reconnecting: "再接続中…",
        placeholder: "メッセージを入力…",
        send: "送信",
        ai_resumed: "AIが再開しました",
        ended: "この会話は終了しました",
        idle_closed: "しばらく動きがなかったため閉じられました。ここに書くと再開できます。",
        new_conversation: "新しい会話を始める",
        you_asked: "担当者との会話をリクエストしました",
        handed_over: "アシスタントが担当者に引き継ぎました",
        thinking: "アシスタントが入力中…",
        cannot_start: "チャットを開始できませんでした。後でもう一度お試しください。",
        sending: "送信中…",
        too_long: "メッセージが長すぎます。",
        slow_down: "送信が速すぎます。少しお待ちください。",
        bad_email: "メールアドレスが正しくないようです。",
        failed: "問題が発生しました。もう一度お試しください。",
        out_of_hours: "ただいま対応時間外です。お名前、メールアドレス、メッセージを残していただければ、メールでご返信します。",
        nobody_available: "現在対応できる担当者がいません。お名前、メールアドレス、メッセージを残していただければ、メールでご返信します。",
        back_at: "対応再開: {day} {time}",
        usual_wait: "通常の応答時間: {wait}",
        keep_chatting: "チャットに戻る",
        rate_prompt: "{name}とのチャットはいかがでしたか？",
        rate_star: "5段階中{n}",
        rate_comment: "ほかにご意見はありますか？（任意）",
        rate_send: "評価を送信",
        rate_skip: "今回はしない",
        rated: "このチャットを{n}/5と評価しました。ありがとうございます！",
        unclaimed: "現在、対応できる担当者がいません。アシスタントが引き続きお手伝いします。後ほど改めて担当者をお呼びいただけます。",
        message_left: "ありがとうございます。メッセージはチームに届きました。メールでご返信します。",
        you_left_message: "チームにメッセージを残しました",
        name_label: "お名前",
        email_label: "メールアドレス",
        message_label: "メッセージ",
        joined: "{name}が会話に参加しました",
        left: "{name}が会話から退出しました",
        typing: "{name}が入力中…",
        email_ask: "離れてしまっても返信できるよう、メールアドレスを残してください。",
        email_save: "保存",
        email_saved: "返信前に離れた場合は {email} にお送りします。",
        email_change: "変更",
        link_spent: "このリンクは期限切れです。ここで新しいチャットを始められます。",
    },
    Texts {
        code: "zh",
        rtl: false,
        greeting: "您好！今天有什么可以帮您？",
        suggested: "推荐问题",
        open_chat: "打开聊天",
        close: "关闭聊天",
        hide: "隐藏",
        assistant: "AI 助手",
        talk_to_human: "联系人工客服",
        waiting: "正在等待客服人员加入",
        with_human: "您现在正在与人工客服聊天",
        reconnecting: "正在重新连接…",
        placeholder: "输入您的消息…",
        send: "发送",
        ai_resumed: "AI 已恢复",
        ended: "此对话已结束",
        idle_closed: "由于一段时间没有动静，对话已关闭。在此输入即可继续。",
        new_conversation: "开始新的对话",
        you_asked: "您已请求人工客服",
        handed_over: "助手已请求人工客服协助",
        thinking: "助手正在输入…",
        cannot_start: "无法启动聊天，请稍后再试。",
        sending: "正在发送…",
        too_long: "您的消息太长了。",
        slow_down: "您发送消息的速度太快，请稍等片刻。",
        bad_email: "该电子邮件地址似乎不正确。",
        failed: "出了点问题，请重试。",
        out_of_hours: "我们现在不在线。请留下您的姓名、邮箱和留言，我们会通过邮件回复您。",
        nobody_available: "目前没有客服人员在线。请留下您的姓名、邮箱和留言，我们会通过邮件回复您。",
        back_at: "恢复服务时间：{day} {time}",
        usual_wait: "通常回复时间：{wait}",
        keep_chatting: "返回聊天",
        rate_prompt: "您与{name}的对话体验如何？",
        rate_star: "{n}/5 分",
        rate_comment: "还有什么要补充的吗？（可选）",
        rate_send: "提交评分",
        rate_skip: "不用了",
        rated: "您给本次对话打了 {n}/5 分，谢谢！",
        unclaimed: "目前团队中没有人能够加入。助手将继续为您提供帮助，您稍后可以再次请求人工服务。",
        message_left: "谢谢！您的留言已转给团队，他们会通过邮件回复您。",
        you_left_message: "您已给团队留言",
        name_label: "您的姓名",
        email_label: "邮箱",
        message_label: "留言",
        joined: "{name} 加入了对话",
        left: "{name} 离开了对话",
        typing: "{name} 正在输入…",
        email_ask: "留下您的邮箱，这样您离开后我们也能回复。",
        email_save: "保存",
        email_saved: "如果您在我们回复前离开，我们会发邮件到 {email}。",
        email_change: "更改",
        link_spent: "此链接已过期。您可以在这里开始新的聊天。",
    },
    Texts {
        code: "ar",
        rtl: true,
        greeting: "مرحبًا! كيف يمكننا مساعدتك اليوم؟",
        suggested: "أسئلة مقترحة",
        open_chat: "فتح الدردشة",
        close: "إغلاق الدردشة",
        hide: "إخفاء",
        assistant: "مساعد الذكاء الاصطناعي",
        talk_to_human: "التحدث إلى شخص",
        waiting: "في انتظار انضمام موظف الدعم",
        with_human: "أنت تتحدث الآن مع شخص",
        reconnecting: "جارٍ إعادة الاتصال…",
        placeholder: "اكتب رسالتك…",
        send: "إرسال",
        ai_resumed: "استأنف الذكاء الاصطناعي المحادثة",
        ended: "انتهت هذه المحادثة",
        idle_closed: "أُغلقت المحادثة بعد فترة من الهدوء. اكتب هنا لمتابعتها.",
        new_conversation: "ابدأ محادثة جديدة",
        you_asked: "طلبت التحدث إلى شخص",
        handed_over: "طلب المساعد مساعدة شخص",
        thinking: "المساعد يكتب…",
        cannot_start: "تعذر بدء الدردشة. يرجى المحاولة لاحقًا.",
        sending: "جارٍ الإرسال…",
        too_long: "رسالتك طويلة جدًا.",
        slow_down: "أنت ترسل الرسائل بسرعة كبيرة. يرجى الانتظار قليلًا.",
        bad_email: "عنوان البريد الإلكتروني هذا لا يبدو صحيحًا.",
        failed: "حدث خطأ ما. يرجى المحاولة مرة أخرى.",
        out_of_hours: "نحن غير متاحين الآن. اترك اسمك وبريدك الإلكتروني ورسالتك، وسنرد عليك عبر البريد الإلكتروني.",
        nobody_available: "لا يوجد أحد من الفريق متاح الآن. اترك اسمك وبريدك الإلكتروني ورسالتك، وسنرد عليك عبر البريد الإلكتروني.",
        back_at: "نعود: {day}، {time}.",
        usual_wait: "مدة الرد المعتادة: {wait}.",
        keep_chatting: "العودة إلى المحادثة",
        rate_prompt: "كيف كانت محادثتك مع {name}؟",
        rate_star: "{n} من 5",
        rate_comment: "هل لديك ما تضيفه؟ (اختياري)",
        rate_send: "إرسال التقييم",
        rate_skip: "لا، شكرًا",
        rated: "قيّمت هذه المحادثة بـ {n}/5. شكرًا لك!",
        unclaimed: "لم يتمكن أحد من الفريق من الانضمام الآن. عاد المساعد لمساعدتك، ويمكنك طلب شخص مرة أخرى لاحقًا.",
        message_left: "شكرًا! وصلت رسالتك إلى الفريق، وسيرد عليك عبر البريد الإلكتروني.",
        you_left_message: "تركت رسالة للفريق",
        name_label: "اسمك",
        email_label: "البريد الإلكتروني",
        message_label: "الرسالة",
        joined: "انضم {name} إلى المحادثة",
        left: "غادر {name} المحادثة",
        typing: "{name} يكتب…",
        email_ask: "اترك بريدك الإلكتروني لنتمكن من الرد عليك إن غادرت.",
        email_save: "حفظ",
        email_saved: "سنراسلك على {email} إن غادرت قبل أن نرد.",
        email_change: "تغيير",
        link_spent: "انتهت صلاحية هذا الرابط. يمكنك بدء محادثة جديدة هنا.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> impl Iterator<Item = &'static Texts> {
        std::iter::once(&ENGLISH).chain(&TRANSLATIONS)
    }

    #[test]
    fn picks_by_primary_subtag_with_english_fallback() {
        assert_eq!(for_tag("pt-BR").code, "pt");
        assert_eq!(for_tag("zh_Hans").code, "zh");
        assert_eq!(for_tag("AR").code, "ar");
        assert!(for_tag("ar").rtl);
        assert_eq!(for_tag("xx").code, "en");
        assert_eq!(for_tag("").code, "en");
        assert_eq!(for_tag("en-GB").code, "en");
    }

    #[test]
    fn every_language_is_listed_in_order() {
        assert_eq!(all().map(|t| t.code).collect::<Vec<_>>(), CODES);
    }

    #[test]
    fn templates_name_the_person() {
        for t in all() {
            assert!(fill(t.joined, "Maria").contains("Maria"), "{}", t.code);
            assert!(fill(t.left, "Maria").contains("Maria"), "{}", t.code);
            assert!(t.typing("Maria").contains("Maria"), "{}", t.code);
        }
    }

    #[test]
    fn every_language_reads_back_as_sent() {
        for t in all() {
            assert_eq!(Texts::read(t.to_json().into()).as_ref(), Some(t));
        }
    }

    #[test]
    fn a_string_missing_is_the_english_one() {
        let mut json = for_tag("de").to_json();
        json.as_object_mut().unwrap().remove("send");
        let read = Texts::read(json.into()).unwrap();
        assert_eq!((read.send, read.close), (ENGLISH.send, for_tag("de").close));
    }

    #[test]
    fn a_foreign_answer_is_refused() {
        let mut json = for_tag("de").to_json();
        json.as_object_mut().unwrap().remove("rtl");
        assert_eq!(Texts::read(json.into()), None);
        let mut json = for_tag("de").to_json();
        json["code"] = "xx".into();
        assert_eq!(Texts::read(json.into()), None);
        let mut json = for_tag("de").to_json();
        json["rtl"] = "no".into();
        assert_eq!(Texts::read(json.into()), None);
        assert_eq!(Texts::read(serde_json::json!(["de"]).into()), None);
    }
}
